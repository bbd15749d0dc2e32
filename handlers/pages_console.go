package handlers

import "github.com/gofiber/fiber/v2"

// consolePages registers the console pages (being built).
func (s *Server) consolePages(app *fiber.App) {}
