package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"weiquan"
	"weiquan/notifications"
)

// Config is every setting of the service. Each comes from a WEIQUAN_*
// environment variable; unset ones take the default and are logged once.
type Config struct {
	Addr           string
	DataDir        string
	MongoURI       string
	MongoDB        string
	AdminPassword  string
	PublicURL      string
	LogFormat      string
	LogLevel       slog.Level
	SessionIdle    time.Duration
	SessionMaxAge  time.Duration
	RequestTimeout time.Duration
	TrustedProxies []string
	PhoneHashKey   string
	PIIKeys        string
	OTPKey         string
	CSRFKey        string
	SweepEvery     time.Duration
	UnitsFile      string
	RulesFile      string
	CalendarFiles  []string
	PolicyFiles    []string
	DefaultPolicy  string
	TrackURL       string
	Twilio         notifications.TwilioConfig
}

// setting describes one configuration variable: the README's table is
// written from the same list.
type setting struct {
	env, def, doc string
	secret        bool
	apply         func(c *Config, v string) error
}

var settings = []setting{
	{"WEIQUAN_ADDR", "127.0.0.1:8080", "address to listen on", false, func(c *Config, v string) error { c.Addr = v; return nil }},
	{"WEIQUAN_DATA_DIR", "./data", "directory of the embedded database (used when WEIQUAN_MONGO_URI is unset)", false,
		func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"WEIQUAN_MONGO_URI", "", "MongoDB connection string; unset means the embedded FerretDB under the data directory", true,
		func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "mongodb://") && !strings.HasPrefix(v, "mongodb+srv://") {
				return fmt.Errorf("must start with mongodb:// or mongodb+srv://")
			}
			c.MongoURI = v
			return nil
		}},
	{"WEIQUAN_MONGO_DB", "weiquan", "database name", false, func(c *Config, v string) error { c.MongoDB = v; return nil }},
	{"WEIQUAN_ADMIN_PASSWORD", "", "password of the bootstrap administrator `admin`; unset means a random one printed once at first start", true,
		func(c *Config, v string) error {
			if v != "" && len([]rune(v)) < 10 {
				return fmt.Errorf("must be at least 10 characters")
			}
			c.AdminPassword = v
			return nil
		}},
	{"WEIQUAN_PUBLIC_URL", "", "URL people reach the service at (tracking links, Secure cookies when https); default http://<WEIQUAN_ADDR>", false,
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("must be an http(s) URL")
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
	{"WEIQUAN_LOG_FORMAT", "text", "log format: text or json (also --log-format)", false,
		func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
	{"WEIQUAN_LOG_LEVEL", "info", "debug, info, warn or error", false,
		func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"WEIQUAN_SESSION_IDLE", "2h", "staff session ends after this long unused", false, durationInto(func(c *Config) *time.Duration { return &c.SessionIdle })},
	{"WEIQUAN_SESSION_MAX_AGE", "12h", "staff session ends this long after sign-in", false, durationInto(func(c *Config) *time.Duration { return &c.SessionMaxAge })},
	{"WEIQUAN_PHONE_HASH_KEY", "", "secret (at least 16 characters) under which phone numbers are hashed in the search index; unset means a key generated once in the data directory", true,
		func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return fmt.Errorf("must be at least 16 characters")
			}
			c.PhoneHashKey = v
			return nil
		}},
	{"WEIQUAN_CSRF_KEY", "", "secret (at least 16 characters) signing the anti-forgery tokens of forms; unset means a key generated once in the data directory; instances sharing a load balancer need the same one", true,
		func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return fmt.Errorf("must be at least 16 characters")
			}
			c.CSRFKey = v
			return nil
		}},
	{"WEIQUAN_OTP_KEY", "", "secret (at least 16 characters) under which consumers' SMS codes are hashed and their tracking cookies signed; unset means a key generated once in the data directory; instances sharing a MongoDB need the same one", true,
		func(c *Config, v string) error {
			if v != "" && len(v) < 16 {
				return fmt.Errorf("must be at least 16 characters")
			}
			c.OTPKey = v
			return nil
		}},
	{"WEIQUAN_PII_KEYS", "", "keys sealing complainants' ID numbers (AES-256-GCM), `id:<base64 of 32 bytes>` separated by commas, the active key first, older ones kept to read what they sealed (see Key rotation); unset means a key generated once in the data directory", true,
		func(c *Config, v string) error {
			if _, err := weiquan.ParseKeyRing(v); err != nil {
				return err
			}
			c.PIIKeys = v
			return nil
		}},
	{"WEIQUAN_SWEEP_EVERY", "1m", "how often the deadline sweeper looks for cases near or past a deadline", false,
		durationInto(func(c *Config) *time.Duration { return &c.SweepEvery })},
	{"WEIQUAN_UNITS_FILE", "", "units file (stations, arbitration bodies, ODR enterprises, renamed agencies) merged over the generated Fujian units; unset means the shipped examples", false,
		func(c *Config, v string) error { c.UnitsFile = v; return nil }},
	{"WEIQUAN_RULES_FILE", "", "routing rules file; unset means the shipped Fujian rules (workflow/data/fujian.rules)", false,
		func(c *Config, v string) error { c.RulesFile = v; return nil }},
	{"WEIQUAN_CALENDAR_FILES", "", "comma-separated holiday files adding or replacing years of the statutory holiday calendar", false,
		func(c *Config, v string) error { c.CalendarFiles = splitPaths(v); return nil }},
	{"WEIQUAN_POLICY_FILES", "", "comma-separated deadline policy files (JSON) loaded beside order20-2022", false,
		func(c *Config, v string) error { c.PolicyFiles = splitPaths(v); return nil }},
	{"WEIQUAN_DEFAULT_POLICY", "order20-2022", "the policy new cases are computed under", false,
		func(c *Config, v string) error { c.DefaultPolicy = v; return nil }},
	{"WEIQUAN_TRACK_URL", "", "tracking link in SMS, {id} standing for the case number; default <WEIQUAN_PUBLIC_URL>/track?id={id}", false,
		func(c *Config, v string) error { c.TrackURL = v; return nil }},
	{"WEIQUAN_TWILIO_ACCOUNT_SID", "", "Twilio account SID; unset means SMS go to the local log that administrators read (GET /api/v1/admin/sms-log)", false,
		func(c *Config, v string) error { c.Twilio.AccountSID = v; return nil }},
	{"WEIQUAN_TWILIO_AUTH_TOKEN", "", "Twilio auth token (also verifies the webhooks' X-Twilio-Signature)", true,
		func(c *Config, v string) error { c.Twilio.AuthToken = v; return nil }},
	{"WEIQUAN_TWILIO_FROM", "", "sender number or ID", false,
		func(c *Config, v string) error { c.Twilio.From = v; return nil }},
	{"WEIQUAN_TWILIO_MESSAGING_SERVICE_SID", "", "Twilio messaging service SID, instead of or with WEIQUAN_TWILIO_FROM", false,
		func(c *Config, v string) error { c.Twilio.MessagingServiceSID = v; return nil }},
	{"WEIQUAN_TWILIO_API_URL", notifications.DefaultTwilioBaseURL, "Twilio API base URL (a local fake for development: weiquan twilio-fake)", false,
		func(c *Config, v string) error { c.Twilio.BaseURL = strings.TrimRight(v, "/"); return nil }},
	{"WEIQUAN_REQUEST_TIMEOUT", "15s", "upper bound on the work of one request", false, durationInto(func(c *Config) *time.Duration { return &c.RequestTimeout })},
	{"WEIQUAN_TRUSTED_PROXIES", "", "comma-separated addresses or CIDR ranges of the reverse proxies in front of weiquan; a request from one of them counts as coming from its X-Real-IP header, which the proxy must set (nginx: proxy_set_header X-Real-IP $remote_addr); unset means the connecting address", false,
		func(c *Config, v string) error {
			for _, p := range splitPaths(v) {
				if net.ParseIP(p) == nil {
					if _, _, err := net.ParseCIDR(p); err != nil {
						return fmt.Errorf("%q is neither an IP address nor a CIDR range", p)
					}
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
}

func durationInto(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration such as 30m or 2h")
		}
		*field(c) = d
		return nil
	}
}

// loadConfig reads the environment. It returns every invalid setting at
// once, and the list of defaults taken so they can be logged.
func loadConfig(getenv func(string) string) (Config, []string, error) {
	var c Config
	var defaults, problems []string
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			defaults = append(defaults, s.env)
			v = s.def
			if v == "" {
				continue
			}
		}
		if err := s.apply(&c, v); err != nil {
			shown := v
			if s.secret {
				shown = "(hidden)"
			}
			problems = append(problems, fmt.Sprintf("%s=%s: %v", s.env, shown, err))
		}
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if c.TrackURL == "" {
		c.TrackURL = c.PublicURL + "/track?id={id}"
	}
	if c.Twilio.AccountSID != "" {
		c.Twilio.StatusCallback = c.PublicURL + "/hooks/twilio/status"
		if _, err := notifications.NewTwilio(c.Twilio); err != nil {
			problems = append(problems, "WEIQUAN_TWILIO_*: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return c, nil, fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, defaults, nil
}

func splitPaths(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
