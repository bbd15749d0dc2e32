package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
)

// statusOf is the one mapping from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	weiquan.EInvalid:      fiber.StatusBadRequest,
	weiquan.EValidation:   fiber.StatusUnprocessableEntity,
	weiquan.ENotFound:     fiber.StatusNotFound,
	weiquan.EConflict:     fiber.StatusConflict,
	weiquan.EUnauthorized: fiber.StatusUnauthorized,
	weiquan.EForbidden:    fiber.StatusForbidden,
	weiquan.ETooLarge:     fiber.StatusRequestEntityTooLarge,
	weiquan.ERateLimited:  fiber.StatusTooManyRequests,
	weiquan.EUnavailable:  fiber.StatusServiceUnavailable,
	weiquan.EInternal:     fiber.StatusInternalServerError,
	weiquan.ECSRF:         fiber.StatusForbidden,
}

// fiberErrors translates fiber's own errors (body too large, bad method…)
// into domain codes so every error body has the same shape.
func fromFiber(fe *fiber.Error) *weiquan.Error {
	switch fe.Code {
	case fiber.StatusRequestEntityTooLarge:
		return weiquan.Errorf(weiquan.ETooLarge, "请求内容过大")
	case fiber.StatusNotFound:
		return weiquan.Errorf(weiquan.ENotFound, "没有这个地址")
	case fiber.StatusMethodNotAllowed:
		return weiquan.Errorf(weiquan.EInvalid, "不支持这个请求方法")
	case fiber.StatusRequestTimeout:
		return weiquan.Errorf(weiquan.EUnavailable, "请求超时，请重试")
	default:
		if fe.Code < 500 {
			return weiquan.Errorf(weiquan.EInvalid, "请求有误：%s", fe.Message)
		}
		return weiquan.WrapError(weiquan.EInternal, "服务器内部错误，请稍后重试", fe)
	}
}

type errorBody struct {
	Error errorPayload `json:"error"`
}

type errorPayload struct {
	Code    string                        `json:"code"`
	Message string                        `json:"message"`
	Fields  map[string]weiquan.FieldError `json:"fields,omitempty"`
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		err = fromFiber(fe)
	}
	var de *weiquan.Error
	if !errors.As(err, &de) {
		de = weiquan.WrapError(weiquan.EInternal, "服务器内部错误，请稍后重试", err)
	}
	status, ok := statusOf[de.Code]
	if !ok {
		status = fiber.StatusInternalServerError
	}
	if status >= 500 {
		// The full chain goes to the log; the person sees only the message.
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if wantsHTML(c) {
		return s.renderError(c, status, de)
	}
	return c.Status(status).JSON(errorBody{Error: errorPayload{Code: de.Code, Message: de.Message, Fields: de.Fields}})
}

func (s *Server) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in handler", "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = weiquan.Errorf(weiquan.EInternal, "服务器内部错误，请稍后重试")
		}
	}()
	return c.Next()
}

// accessLog logs method, path and status. Query strings are left out: they
// can carry phone numbers.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		var de *weiquan.Error
		if errors.As(err, &de) {
			status = statusOf[de.Code]
		} else {
			status = fiber.StatusInternalServerError
		}
	}
	s.log.LogAttrs(c.UserContext(), slog.LevelDebug, "http",
		slog.String("method", c.Method()), slog.String("path", c.Path()),
		slog.Int("status", status), slog.Duration("took", time.Since(start)))
	return err
}
