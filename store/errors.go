package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"weiquan"
)

// Server error codes the store reacts to.
const codeNamespaceExists = 48

const msgUnavailable = "数据库暂时不可用，请稍后重试"

// storeError turns a driver error into a domain error at the edge, so that
// no driver type escapes the package: a server that cannot be reached is
// EUnavailable (the request may be retried), anything else stays internal.
// Callers handle not-found and duplicate keys themselves, because only they
// know what was not found or duplicated.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("store: %s: %w", op, err)
	if unavailable(err) {
		return weiquan.WrapError(weiquan.EUnavailable, msgUnavailable, err)
	}
	return err
}

// unavailable reports a server that did not answer in time (server
// selection ends with a deadline too) or a connection that broke. A caller
// that gave up (context.Canceled) is not the database's fault.
func unavailable(err error) bool {
	return mongo.IsNetworkError(err) ||
		mongo.IsTimeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mongo.ErrClientDisconnected)
}

// notFound is ENotFound when err says no document matched, else storeError.
func notFound(op string, err error, message string) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return weiquan.WrapError(weiquan.ENotFound, message, fmt.Errorf("store: %s: %w", op, err))
	}
	return storeError(op, err)
}

// duplicate is EConflict when err is a duplicate key, else storeError.
func duplicate(op string, err error, message string) error {
	if mongo.IsDuplicateKeyError(err) {
		return weiquan.WrapError(weiquan.EConflict, message, fmt.Errorf("store: %s: %w", op, err))
	}
	return storeError(op, err)
}
