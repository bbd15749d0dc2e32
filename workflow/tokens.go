package workflow

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"weiquan"
)

// TokenPrefix starts every API token, so that a token pasted into a chat or
// committed to a repository is recognisable (and secret scanners can match
// it), and so that the API can tell a token from a session at a glance.
const TokenPrefix = "wqt_"

// tokenLen is the length of a token: the prefix and 32 random bytes in
// unpadded base64url.
const tokenLen = len(TokenPrefix) + 43

// TokenStore is what API tokens need from the system of record.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t *weiquan.APIToken) error
	GetAPIToken(ctx context.Context, id string) (*weiquan.APIToken, error)
	ListAPITokens(ctx context.Context) ([]weiquan.APIToken, error)
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
	GetUnit(ctx context.Context, id string) (*weiquan.Unit, error)
}

// Tokens manages the API tokens of integrations: administrators create and
// revoke them; requests carrying one act with its role and units.
type Tokens struct {
	Store TokenStore
	Now   func() time.Time
	// CacheTTL is how long a checked token is trusted without reading the
	// store again. A revocation in this process takes effect at once;
	// another instance sees it within CacheTTL. Zero disables the cache.
	CacheTTL time.Duration

	cache sync.Map // token id → cachedToken
	// revoked holds the ids revoked by this process, checked before the
	// cache, so that a request that read the record just before the
	// revocation cannot put it back into the cache.
	revoked sync.Map
}

type cachedToken struct {
	token   *weiquan.APIToken
	checked time.Time
}

// NewToken is what an administrator supplies to create a token.
type NewToken struct {
	Name      string
	Role      weiquan.Role
	UnitIDs   []string
	ExpiresAt *time.Time
}

const maxTokenName = 64

// IsAPIToken reports whether s has the shape of an API token. It says
// nothing about whether the token is live.
func IsAPIToken(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	return isBase64URL(s[len(TokenPrefix):])
}

// isBase64URL reports whether s is 43 characters of unpadded base64url
// encoding exactly 32 bytes (the last character carries 4 bits, so only
// some letters may end it).
func isBase64URL(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

// TokenID is the stored id of a token: its SHA-256, as for sessions.
func TokenID(token string) string { return SessionID(token) }

// validTokenID reports whether id has the shape of a stored id, so that a
// mistyped id in a URL is a plain 404 without a store query.
func validTokenID(id string) bool {
	if len(id) != 64 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// Create validates and stores a token and returns it. The token is in the
// answer only: it cannot be shown again.
func (t *Tokens) Create(ctx context.Context, nt NewToken, createdBy string) (string, *weiquan.APIToken, error) {
	now := weiquan.InShanghai(t.Now())
	v := weiquan.ValidationErrors{}
	nt.Name = strings.TrimSpace(nt.Name)
	switch n := utf8.RuneCountInString(nt.Name); {
	case n == 0:
		v.Add("name", "required", "请填写令牌名称（如对接系统的名字）")
	case n > maxTokenName:
		v.Add("name", "too_long", fmt.Sprintf("令牌名称不能超过 %d 个字符", maxTokenName))
	}
	switch nt.Role {
	case weiquan.RoleOperator, weiquan.RoleOfficer, weiquan.RoleSupervisor:
	case weiquan.RoleAdmin:
		v.Add("role", "admin_not_allowed", "API 令牌不能具有管理员角色：管理操作须由管理员本人登录完成")
	default:
		v.Add("role", "invalid_role", "角色须为 operator、officer 或 supervisor")
	}
	if (nt.Role == weiquan.RoleOfficer || nt.Role == weiquan.RoleSupervisor) && len(nt.UnitIDs) == 0 {
		v.Add("units", "required", "办案人员和监督人员角色的令牌须绑定承办单位")
	}
	for i, id := range nt.UnitIDs {
		if _, err := t.Store.GetUnit(ctx, id); err != nil {
			if weiquan.ErrorCode(err) != weiquan.ENotFound {
				return "", nil, fmt.Errorf("create api token: check unit %s: %w", id, err)
			}
			v.Add(fmt.Sprintf("units[%d]", i), "unknown_unit", "没有这个承办单位："+id)
		}
	}
	if nt.ExpiresAt != nil && !nt.ExpiresAt.After(now) {
		v.Add("expires_at", "in_past", "过期时间须晚于当前时间")
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("create api token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	units := nt.UnitIDs
	if units == nil {
		units = []string{}
	}
	rec := &weiquan.APIToken{ID: TokenID(token), Name: nt.Name, Role: nt.Role, UnitIDs: units,
		CreatedBy: createdBy, CreatedAt: now}
	if nt.ExpiresAt != nil {
		exp := weiquan.InShanghai(*nt.ExpiresAt)
		rec.ExpiresAt = &exp
	}
	if err := t.Store.CreateAPIToken(ctx, rec); err != nil {
		return "", nil, fmt.Errorf("create api token %q: %w", nt.Name, err)
	}
	return token, rec, nil
}

var (
	errBadToken     = weiquan.Errorf(weiquan.EUnauthorized, "API 令牌无效")
	errRevokedToken = weiquan.Errorf(weiquan.EUnauthorized, "API 令牌已被撤销")
	errExpiredToken = weiquan.Errorf(weiquan.EUnauthorized, "API 令牌已过期")
)

// Authenticate resolves a token to its live record: known, not revoked,
// not expired. Anything that is not shaped like a token is refused without
// reading the store.
func (t *Tokens) Authenticate(ctx context.Context, token string) (*weiquan.APIToken, error) {
	if !IsAPIToken(token) {
		return nil, errBadToken
	}
	id := TokenID(token)
	if _, ok := t.revoked.Load(id); ok {
		return nil, errRevokedToken
	}
	now := t.Now()
	if v, ok := t.cache.Load(id); ok {
		ct := v.(cachedToken)
		if now.Sub(ct.checked) < t.CacheTTL && (ct.token.ExpiresAt == nil || now.Before(*ct.token.ExpiresAt)) {
			return ct.token, nil
		}
		t.cache.Delete(id)
	}
	rec, err := t.Store.GetAPIToken(ctx, id)
	switch {
	case weiquan.ErrorCode(err) == weiquan.ENotFound:
		return nil, errBadToken
	case err != nil:
		return nil, fmt.Errorf("authenticate api token: %w", err)
	}
	switch rec.Status(now) {
	case "revoked":
		return nil, errRevokedToken
	case "expired":
		return nil, errExpiredToken
	}
	// Record use at most once a minute: a write per request would double
	// the cost of an integration's every call.
	if rec.LastUsedAt == nil || now.Sub(*rec.LastUsedAt) > time.Minute {
		at := weiquan.InShanghai(now)
		if err := t.Store.TouchAPIToken(ctx, id, at); err != nil {
			return nil, fmt.Errorf("authenticate api token: touch: %w", err)
		}
		rec.LastUsedAt = &at
	}
	if t.CacheTTL > 0 {
		t.cache.Store(id, cachedToken{token: rec, checked: now})
	}
	return rec, nil
}

// List returns every token, revoked and expired ones included, newest
// first. The records hold no secret.
func (t *Tokens) List(ctx context.Context) ([]weiquan.APIToken, error) {
	list, err := t.Store.ListAPITokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return list, nil
}

var errNoToken = weiquan.Errorf(weiquan.ENotFound, "没有这个 API 令牌")

// Revoke ends a token at once in this process (the cache included).
// Revoking a revoked token again is not an error.
func (t *Tokens) Revoke(ctx context.Context, id string) (*weiquan.APIToken, error) {
	if !validTokenID(id) {
		return nil, errNoToken
	}
	if err := t.Store.RevokeAPIToken(ctx, id, weiquan.InShanghai(t.Now())); err != nil {
		if weiquan.ErrorCode(err) == weiquan.ENotFound {
			return nil, errNoToken
		}
		return nil, fmt.Errorf("revoke api token: %w", err)
	}
	t.revoked.Store(id, struct{}{})
	t.cache.Delete(id)
	rec, err := t.Store.GetAPIToken(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("revoke api token: %w", err)
	}
	return rec, nil
}
