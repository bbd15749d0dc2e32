package handlers

import "github.com/gofiber/fiber/v2"

// adminPages registers the admin pages (being built).
func (s *Server) adminPages(app *fiber.App) {}
