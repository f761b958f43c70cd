package web

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"cartera/portal/strategy"
)

// Strategy tests (champion/challenger): managers run them; the client
// company reads them and their report. Staff routes: not in the public API.
func (s *Server) strategyTestRoutes(r fiber.Router) {
	s.route(r, fiber.MethodPost, "/tenants/:tenant/strategy-tests", s.startStrategyTest, managers...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/strategy-tests", s.listStrategyTests, reportReaders...)
	s.route(r, fiber.MethodGet, "/tenants/:tenant/strategy-tests/:id", s.getStrategyTest, reportReaders...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/strategy-tests/:id/promote", s.promoteStrategyTest, managers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/strategy-tests/:id/stop", s.stopStrategyTest, managers...)
	s.route(r, fiber.MethodPost, "/tenants/:tenant/strategy-tests/:id/accounts", s.enrolInStrategyTest, managers...)
}

type enrolReq struct {
	Accounts []string `json:"accounts"` // invoices of open accounts
}

// enrolInStrategyTest puts selected open accounts in the running test (by
// the test's rule), and their collectors' lists follow their new ladders.
func (s *Server) enrolInStrategyTest(c *fiber.Ctx) error {
	var req enrolReq
	if err := decode(c, &req); err != nil {
		return err
	}
	tenant, id := param(c, "tenant"), param(c, "id")
	if _, err := s.Policy.Test(c.UserContext(), tenant, id); err != nil {
		return err
	}
	res, err := s.Accounts.EnrolInTest(c.UserContext(), tenant, id, req.Accounts)
	if err != nil {
		return err
	}
	if s.Queue != nil && res.Enrolled > 0 {
		if _, err := s.Queue.RebuildWorklists(c.UserContext(), tenant); err != nil {
			return fmt.Errorf("accounts enrolled; worklists: %w", err)
		}
	}
	return c.JSON(res)
}

func (s *Server) startStrategyTest(c *fiber.Ctx) error {
	var req strategy.NewTest
	if err := decode(c, &req); err != nil {
		return err
	}
	t, err := s.Policy.StartTest(c.UserContext(), param(c, "tenant"), req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *Server) listStrategyTests(c *fiber.Ctx) error {
	list, err := s.Policy.Tests(c.UserContext(), param(c, "tenant"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) getStrategyTest(c *fiber.Ctx) error {
	r, err := s.Reports.StrategyTest(c.UserContext(), param(c, "tenant"), param(c, "id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(r)
}

func (s *Server) promoteStrategyTest(c *fiber.Ctx) error {
	return s.endStrategyTest(c, s.Policy.PromoteTest)
}

func (s *Server) stopStrategyTest(c *fiber.Ctx) error {
	return s.endStrategyTest(c, s.Policy.StopTest)
}

// endStrategyTest ends a test; the challenger's accounts change ladder (to
// the promoted policy or back to the champion), so the collectors' lists
// follow now, as after a policy change.
func (s *Server) endStrategyTest(c *fiber.Ctx, end func(ctx context.Context, tenant, key string) (strategy.Test, error)) error {
	tenant := param(c, "tenant")
	t, err := end(c.UserContext(), tenant, param(c, "id"))
	if err != nil {
		return err
	}
	if s.Queue != nil {
		if _, err := s.Queue.RebuildWorklists(c.UserContext(), tenant); err != nil {
			return fmt.Errorf("strategy test ended; worklists: %w", err)
		}
	}
	return c.JSON(t)
}
