package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"weiquan"
)

// AccountStore is what sign-in needs from the system of record.
type AccountStore interface {
	CreateUser(ctx context.Context, u *weiquan.User) error
	GetUser(ctx context.Context, id string) (*weiquan.User, error)
	GetUserByUsername(ctx context.Context, username string) (*weiquan.User, error)
	GetUnit(ctx context.Context, id string) (*weiquan.Unit, error)
	CreateSession(ctx context.Context, s *weiquan.Session) error
	GetSession(ctx context.Context, id string) (*weiquan.Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSession(ctx context.Context, id string) error
	UpdateUserPassword(ctx context.Context, id, hash string, at time.Time) error
	DeleteUserSessions(ctx context.Context, userID string) error
}

// Accounts manages staff users and their sessions.
type Accounts struct {
	Store AccountStore
	Now   func() time.Time
	// IdleTimeout ends a session nobody used for this long; MaxAge ends any
	// session this long after sign-in.
	IdleTimeout, MaxAge time.Duration
	// CacheTTL is how long a checked session is trusted without reading the
	// store again. Sign-out and password changes in this process take effect
	// at once; another instance sees them within CacheTTL. Zero disables it.
	CacheTTL time.Duration

	cache    sync.Map // session id → cachedSession
	throttle loginThrottle
}

type cachedSession struct {
	session *weiquan.Session
	user    *weiquan.User
	checked time.Time
}

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane), which
// keeps a sign-in around 30 ms on the 2-core machines this runs on.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id PHC string.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword compares a password with a PHC string in constant time,
// honouring the parameters stored in the hash.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a username does not exist, so that a
// wrong username and a wrong password take the same time (no enumeration).
var dummyHash, _ = HashPassword("weiquan-no-such-user")

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// NewUser is what an administrator supplies to create a staff account.
type NewUser struct {
	Username string
	Password string
	Role     weiquan.Role
	UnitIDs  []string
}

// CreateUser validates and stores a staff account.
func (a *Accounts) CreateUser(ctx context.Context, nu NewUser) (*weiquan.User, error) {
	v := weiquan.ValidationErrors{}
	nu.Username = strings.TrimSpace(nu.Username)
	if !usernameRE.MatchString(nu.Username) {
		v.Add("username", "invalid_username", "用户名须为 2–32 位小写字母、数字、点、下划线或连字符")
	}
	if !validPassword(nu.Password) {
		v.Add("password", "weak_password", weakPasswordMsg)
	}
	if !weiquan.ValidRole(nu.Role) {
		v.Add("role", "invalid_role", "角色须为 operator、officer、supervisor 或 admin")
	}
	if (nu.Role == weiquan.RoleOfficer || nu.Role == weiquan.RoleSupervisor) && len(nu.UnitIDs) == 0 {
		v.Add("units", "required", "办案人员和监督人员须绑定承办单位")
	}
	for i, id := range nu.UnitIDs {
		if _, err := a.Store.GetUnit(ctx, id); err != nil {
			if weiquan.ErrorCode(err) != weiquan.ENotFound {
				return nil, fmt.Errorf("create user: check unit %s: %w", id, err)
			}
			v.Add(fmt.Sprintf("units[%d]", i), "unknown_unit", "没有这个承办单位："+id)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	now := weiquan.InShanghai(a.Now())
	units := nu.UnitIDs
	if units == nil {
		units = []string{}
	}
	u := &weiquan.User{
		ID: UserID(nu.Username), Username: nu.Username, PasswordHash: hash, Role: nu.Role,
		UnitIDs: units, CreatedAt: now, PasswordChangedAt: now,
	}
	if err := a.Store.CreateUser(ctx, u); err != nil {
		if weiquan.ErrorCode(err) == weiquan.EConflict {
			return nil, &weiquan.Error{Code: weiquan.EConflict, Message: "用户名已存在", Err: err,
				Fields: map[string]weiquan.FieldError{"username": {Code: "taken", Message: "用户名已存在"}}}
		}
		return nil, fmt.Errorf("create user %s: %w", nu.Username, err)
	}
	return u, nil
}

const weakPasswordMsg = "密码长度须为 10–128 个字符"

func validPassword(p string) bool {
	n := utf8.RuneCountInString(p)
	return n >= 10 && n <= 128
}

// UserID is the stable id of a username.
func UserID(username string) string { return "u-" + username }

var errBadLogin = weiquan.Errorf(weiquan.EUnauthorized, "用户名或密码错误")

// Login checks a password and opens a session. It returns the bearer token
// the client keeps; only its hash is stored. After too many failures for a
// username or from an address it refuses without checking the password, for
// existing and unknown usernames alike.
func (a *Accounts) Login(ctx context.Context, username, password, address string) (token string, u *weiquan.User, err error) {
	// An empty field is a form sent too early, not a guess: no password is
	// empty, so it is refused for every username alike and not counted
	// against the throttle.
	if strings.TrimSpace(username) == "" || password == "" {
		return "", nil, errBadLogin
	}
	now := a.Now()
	if a.throttle.locked(username, address, now) {
		return "", nil, errThrottled
	}
	u, err = a.Store.GetUserByUsername(ctx, strings.TrimSpace(username))
	switch {
	case weiquan.ErrorCode(err) == weiquan.ENotFound:
		CheckPassword(dummyHash, password)
		a.throttle.fail(username, address, now)
		return "", nil, errBadLogin
	case err != nil:
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) || u.Disabled {
		a.throttle.fail(username, address, now)
		return "", nil, errBadLogin
	}
	a.throttle.succeed(username)
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("login: token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	now = weiquan.InShanghai(now)
	s := &weiquan.Session{ID: SessionID(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(a.MaxAge), Address: address}
	if err := a.Store.CreateSession(ctx, s); err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	return token, u, nil
}

// SessionID is the stored id of a token: its SHA-256, so the sessions
// collection holds nothing a thief could replay.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var errNoSession = weiquan.Errorf(weiquan.EUnauthorized, "请先登录")

// Authenticate resolves a token to its user, enforcing idle and absolute
// expiry and refusing sessions older than the last password change.
func (a *Accounts) Authenticate(ctx context.Context, token string) (*weiquan.User, error) {
	// Login makes every token 32 random bytes in base64url; anything else
	// is refused without a store query.
	if !isBase64URL(token) {
		return nil, errNoSession
	}
	id := SessionID(token)
	now := a.Now()
	if v, ok := a.cache.Load(id); ok {
		cs := v.(cachedSession)
		if now.Sub(cs.checked) < a.CacheTTL && now.Before(cs.session.ExpiresAt) && now.Sub(cs.session.LastSeenAt) <= a.IdleTimeout {
			return cs.user, nil
		}
		a.cache.Delete(id)
	}
	s, err := a.Store.GetSession(ctx, id)
	switch {
	case weiquan.ErrorCode(err) == weiquan.ENotFound:
		return nil, errNoSession
	case err != nil:
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if now.After(s.ExpiresAt) || now.Sub(s.LastSeenAt) > a.IdleTimeout {
		_ = a.Store.DeleteSession(ctx, id)
		return nil, weiquan.Errorf(weiquan.EUnauthorized, "登录已过期，请重新登录")
	}
	u, err := a.Store.GetUser(ctx, s.UserID)
	if err != nil {
		if weiquan.ErrorCode(err) == weiquan.ENotFound {
			return nil, errNoSession
		}
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if u.Disabled || s.CreatedAt.Before(u.PasswordChangedAt.Truncate(time.Millisecond)) {
		_ = a.Store.DeleteSession(ctx, id)
		return nil, errNoSession
	}
	// Refresh the idle clock at most once a minute: a write per request would
	// double the cost of every read on the embedded store.
	if now.Sub(s.LastSeenAt) > time.Minute {
		if err := a.Store.TouchSession(ctx, id, weiquan.InShanghai(now)); err != nil && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("authenticate: touch: %w", err)
		}
		s.LastSeenAt = now
	}
	if a.CacheTTL > 0 {
		a.cache.Store(id, cachedSession{session: s, user: u, checked: now})
	}
	return u, nil
}

// Logout ends the session of a token. Ending an unknown session is not an
// error: the client is signed out either way.
func (a *Accounts) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	a.cache.Delete(SessionID(token))
	if err := a.Store.DeleteSession(ctx, SessionID(token)); err != nil && weiquan.ErrorCode(err) != weiquan.ENotFound {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// ChangePassword replaces a user's password after checking the current one,
// then ends every session of that user, here and in the store, so a stolen
// token stops working at once. Other instances drop their cached sessions
// within CacheTTL.
func (a *Accounts) ChangePassword(ctx context.Context, userID, current, newPassword string) error {
	u, err := a.Store.GetUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("change password of %s: %w", userID, err)
	}
	v := weiquan.ValidationErrors{}
	switch {
	case current == "":
		v.Add("current_password", "required", "请输入当前密码")
	case !CheckPassword(u.PasswordHash, current):
		v.Add("current_password", "wrong_password", "当前密码不正确")
	}
	if !validPassword(newPassword) {
		v.Add("new_password", "weak_password", weakPasswordMsg)
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(newPassword)
	if err != nil {
		return fmt.Errorf("change password of %s: %w", userID, err)
	}
	if err := a.Store.UpdateUserPassword(ctx, u.ID, hash, weiquan.InShanghai(a.Now())); err != nil {
		return fmt.Errorf("change password of %s: %w", userID, err)
	}
	if err := a.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return fmt.Errorf("change password of %s: end sessions: %w", userID, err)
	}
	a.cache.Range(func(k, v any) bool {
		if cs, ok := v.(cachedSession); ok && cs.user != nil && cs.user.ID == u.ID {
			a.cache.Delete(k)
		}
		return true
	})
	return nil
}
