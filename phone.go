package weiquan

import (
	"strings"
)

// Phone is a mainland China telephone number in normalised form: a mobile as
// 11 digits ("13800138000"), a landline as area code, dash, local number
// ("0591-87654321").
type Phone string

// ParsePhone accepts the forms people type and read out: spaces, dashes,
// parentheses, a +86/0086/86 prefix. It returns ok=false for anything that is
// not a mainland mobile (1[3-9] + 9 digits) or a landline with an area code.
func ParsePhone(s string) (Phone, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９': // full-width digits from Chinese input methods
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '（' || r == '）' || r == '+' || r == '－':
		default:
			return "", false
		}
	}
	d := b.String()
	// Strip the country code; after it a landline has lost its trunk 0.
	international := strings.HasPrefix(strings.TrimSpace(s), "+") && strings.HasPrefix(d, "86")
	switch {
	case strings.HasPrefix(d, "0086"):
		d, international = d[4:], true
	case international:
		d = d[2:]
	case strings.HasPrefix(d, "86") && len(d) == 13 && d[2] == '1':
		d = d[2:]
	}
	if international && d != "" && d[0] != '1' && d[0] != '0' {
		d = "0" + d
	}
	if len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' {
		return Phone(d), true
	}
	if len(d) >= 10 && len(d) <= 12 && d[0] == '0' && d[1] != '0' {
		// Area codes are 010, 02x (3 digits) or 0xxx (4 digits); local
		// numbers are 7 or 8 digits and never start with 0 or 1.
		area := 4
		if d[1] == '1' || d[1] == '2' {
			area = 3
		}
		local := d[area:]
		if (len(local) == 7 || len(local) == 8) && local[0] != '0' && local[0] != '1' {
			return Phone(d[:area] + "-" + local), true
		}
	}
	return "", false
}

// IsMobile reports whether the number can receive SMS.
func (p Phone) IsMobile() bool { return len(p) == 11 && p[0] == '1' }

// E164 is the number in the form Twilio expects.
func (p Phone) E164() string {
	if p == "" {
		return ""
	}
	return "+86" + strings.TrimPrefix(strings.ReplaceAll(string(p), "-", ""), "0")
}

// Masked hides the middle digits (138****8000) for lists, exports and logs.
func (p Phone) Masked() string { return MaskPhone(string(p)) }

// MaskPhone masks any phone-like string, keeping the first three and last
// four characters.
func MaskPhone(s string) string {
	r := []rune(s)
	if len(r) <= 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}
