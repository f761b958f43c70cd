package web

import "github.com/gofiber/fiber/v2"

func (s *Server) planRoutes(r fiber.Router) {}
