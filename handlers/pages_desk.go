package handlers

import "github.com/gofiber/fiber/v2"

// deskPages registers the desk pages (being built).
func (s *Server) deskPages(app *fiber.App) {}
