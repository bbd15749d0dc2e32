package weiquan

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each code to a status in one table; every
// other package speaks only in these codes.
const (
	EInvalid      = "invalid"           // malformed request (400)
	EValidation   = "validation_failed" // well-formed but unacceptable input (422)
	ENotFound     = "not_found"         // 404
	EConflict     = "conflict"          // stale version, duplicate key (409)
	EUnauthorized = "unauthorized"      // no or bad credentials (401)
	EForbidden    = "forbidden"         // 403
	ETooLarge     = "too_large"         // 413
	ERateLimited  = "rate_limited"      // 429
	EUnavailable  = "unavailable"       // dependency down (503)
	EInternal     = "internal"          // 500
	ECSRF         = "csrf"              // form without a valid anti-forgery token (403)
)

// FieldError says what is wrong with one input field: a stable code for
// programs and a Chinese message for people.
type FieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the one error type that crosses package boundaries. Message is
// Chinese and safe to show to the person who made the request; Err carries
// the technical cause for logs.
type Error struct {
	Code    string
	Message string
	Fields  map[string]FieldError
	Err     error
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if len(e.Fields) > 0 {
		s += fmt.Sprintf(" %v", e.Fields)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a Chinese message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError attaches a technical cause to a coded error.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// ErrorMessage returns the person-facing message of err, never a technical one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "服务器内部错误，请稍后重试"
}

// ValidationErrors collects field errors during validation so that a person
// sees every problem at once, not one per attempt.
type ValidationErrors map[string]FieldError

// Add records the first error for a field; later ones for the same field are
// usually consequences of the first.
func (v ValidationErrors) Add(field, code, message string) {
	if _, ok := v[field]; !ok {
		v[field] = FieldError{Code: code, Message: message}
	}
}

// Err returns nil when nothing was added, else a 422 *Error.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: EValidation, Message: "提交的内容有误，请按提示修改", Fields: map[string]FieldError(v)}
}
