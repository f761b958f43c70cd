package web

import (
	"github.com/gofiber/fiber/v2"

	"cartera/portal/actor"
	"cartera/tenants"
)

func (s *Server) authRoutes(r fiber.Router) {
	s.route(r, fiber.MethodPost, "/auth/login", s.login)
	s.route(r, fiber.MethodPost, "/auth/logout", s.logout, allStaff...)
	s.route(r, fiber.MethodGet, "/me", s.me, allStaff...)
	s.route(r, fiber.MethodPut, "/me/password", s.changePassword, allStaff...)
}

var allStaff = []string{tenants.RoleAdmin, tenants.RoleManager, tenants.RoleCollector, tenants.RoleClient}

type loginReq struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type userJSON struct {
	ID      string   `json:"id"`
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Tenants []string `json:"tenants"`
}

func toUserJSON(u tenants.User) userJSON {
	ts := u.Tenants
	if ts == nil {
		ts = []string{}
	}
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Tenants: ts}
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginReq
	if err := decode(c, &req); err != nil {
		return err
	}
	sess, err := s.Tenants.Login(c.UserContext(), req.Email, req.Password)
	if err != nil {
		return err
	}
	s.setSession(c, sess.Token, sess.Expires)
	s.rebindCSRF(c, sess.Token)
	return c.JSON(fiber.Map{"token": sess.Token, "expires": sess.Expires, "user": toUserJSON(sess.User)})
}

func (s *Server) logout(c *fiber.Ctx) error {
	a := actor.From(c.UserContext())
	if err := s.Tenants.Logout(c.UserContext(), a.UserID); err != nil {
		return err
	}
	s.clearSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	u, err := s.Tenants.User(c.UserContext(), actor.From(c.UserContext()).UserID)
	if err != nil {
		return err
	}
	return c.JSON(toUserJSON(u))
}

type passwordReq struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var req passwordReq
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := s.Tenants.ChangePassword(c.UserContext(), actor.From(c.UserContext()).UserID, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	s.clearSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}
