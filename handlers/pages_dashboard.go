package handlers

import "github.com/gofiber/fiber/v2"

// dashboardPages registers the dashboard pages (being built).
func (s *Server) dashboardPages(app *fiber.App) {}
