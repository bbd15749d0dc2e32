package handlers

import "github.com/gofiber/fiber/v2"

// publicPages registers the public pages (being built).
func (s *Server) publicPages(app *fiber.App) {}
