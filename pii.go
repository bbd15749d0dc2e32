package weiquan

// Personal information (个人信息保护法): resident ID numbers, their sealing
// at rest, and the masked form of a case that every list, export, page and
// log shows instead of the full values.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// NormalizeIDNumber folds what people type for a resident ID number (GB
// 11643): full-width digits and letters from Chinese input methods, a lower
// case x, spaces and dashes used to group it when read aloud.
func NormalizeIDNumber(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '０' && r <= '９', r == 'Ｘ', r == 'ｘ':
			r -= 0xFEE0
		case unicode.IsSpace(r), r == '-':
			continue
		}
		if r == 'x' {
			r = 'X'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// idWeights are the GB 11643-1999 weights of the 17 body digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idChecks maps the weighted sum mod 11 to the check character.
const idChecks = "10X98765432"

// ValidIDNumber reports whether s (normalised) is an 18-character resident
// ID number whose check character is right. The birth date is not checked
// beyond the check character: people born before 1900 or with corrected
// dates hold valid numbers that a calendar check would refuse.
func ValidIDNumber(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * idWeights[i]
	}
	return s[17] == idChecks[sum%11]
}

// MaskIDNumber keeps the first four characters (the city) and the last four:
// 3502**********1234.
func MaskIDNumber(s string) string {
	r := []rune(s)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// maskE164 masks a number as Twilio writes it (+8613800138000 →
// +86138****8000) so the country code does not eat the visible digits.
func maskE164(s string) string {
	if rest, ok := strings.CutPrefix(s, "+86"); ok {
		return "+86" + MaskPhone(rest)
	}
	return MaskPhone(s)
}

// KeyRing holds the keys that seal ID numbers: the first is the active one
// that seals, the others only open what older keys sealed, so a key can be
// rotated by putting a new one in front (and `weiquan pii rekey` re-seals
// every case under it before an old key is dropped).
type KeyRing struct {
	ids   []string
	aeads map[string]cipher.AEAD
	// checks are the keys' check values (CheckValue), kept instead of the
	// keys themselves.
	checks map[string]string
}

// SealKey is one key of a ring.
type SealKey struct {
	ID  string
	Key []byte // 32 bytes: AES-256
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

// NewKeyRing builds a ring from keys, the active one first.
func NewKeyRing(keys ...SealKey) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("key ring: no key")
	}
	k := &KeyRing{aeads: map[string]cipher.AEAD{}, checks: map[string]string{}}
	for _, key := range keys {
		if !keyIDPattern.MatchString(key.ID) {
			return nil, fmt.Errorf("key ring: key id %q: letters, digits, _ or -, at most 16", key.ID)
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("key ring: key id %q given twice", key.ID)
		}
		if len(key.Key) != 32 {
			return nil, fmt.Errorf("key ring: key %q must be 32 bytes, is %d", key.ID, len(key.Key))
		}
		block, err := aes.NewCipher(key.Key)
		if err != nil {
			return nil, fmt.Errorf("key ring: key %q: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key ring: key %q: %w", key.ID, err)
		}
		k.ids = append(k.ids, key.ID)
		k.aeads[key.ID] = aead
		k.checks[key.ID] = KeyCheckValue(key.Key, "weiquan/pii-key-check/v1")
	}
	return k, nil
}

// KeyCheckValue is a check value of a secret key: HMAC-SHA256 of a fixed
// label under the key. Instances sharing a database compare keys by it (the
// key itself is never stored): equal keys give equal values, and the value
// tells nothing about the key. label keeps the values of different uses of
// a key apart.
func KeyCheckValue(key []byte, label string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(label))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// CheckValue is the check value of the ring's key id, "" if the ring has no
// such key.
func (k *KeyRing) CheckValue(id string) string { return k.checks[id] }

// ParseKeyRing reads the WEIQUAN_PII_KEYS form: "k2:<base64 of 32 bytes>,
// k1:<…>", the active key first. Errors never contain key material.
func ParseKeyRing(spec string) (*KeyRing, error) {
	var keys []SealKey
	for i, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("key ring: entry %d is not id:base64", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(b64), "=")); err != nil {
				return nil, fmt.Errorf("key ring: key %q is not base64", id)
			}
		}
		keys = append(keys, SealKey{ID: strings.TrimSpace(id), Key: raw})
	}
	return NewKeyRing(keys...)
}

// NewSealKey returns a random 32-byte key.
func NewSealKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("key ring: random key: %w", err)
	}
	return key, nil
}

// ActiveID is the id of the key that seals.
func (k *KeyRing) ActiveID() string { return k.ids[0] }

// IDs are the key ids, the active one first.
func (k *KeyRing) IDs() []string { return append([]string(nil), k.ids...) }

// sealAAD binds a sealed value to what it is, so a sealed value of another
// kind (should there ever be one) cannot be passed off as an ID number.
var sealAAD = []byte("weiquan/id_number/v1")

// Seal encrypts plaintext under the active key: "<key id>:<base64url of
// nonce || ciphertext || tag>".
func (k *KeyRing) Seal(plaintext string) (string, error) {
	aead := k.aeads[k.ids[0]]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: random nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plaintext), sealAAD)
	return k.ids[0] + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value with whichever key of the ring sealed it.
func (k *KeyRing) Open(sealed string) (string, error) {
	id, b64, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", errors.New("open sealed value: no key id")
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", fmt.Errorf("open sealed value: key %q is not in the key ring (WEIQUAN_PII_KEYS)", id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", fmt.Errorf("open sealed value under key %q: damaged", id)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], sealAAD)
	if err != nil {
		return "", fmt.Errorf("open sealed value under key %q: %w", id, err)
	}
	return string(plain), nil
}

// SealedWith is the key id a sealed value names.
func SealedWith(sealed string) string {
	id, _, _ := strings.Cut(sealed, ":")
	return id
}

// SealIDNumber moves a complainant's plaintext ID number into its sealed
// and masked forms and clears the plaintext, so that what is stored holds no
// full ID number. A case without one is left alone.
func (k *KeyRing) SealIDNumber(cp *Complainant) error {
	if cp.IDNumber == "" {
		return nil
	}
	sealed, err := k.Seal(cp.IDNumber)
	if err != nil {
		return err
	}
	cp.IDNumberSealed, cp.IDNumberMasked, cp.IDNumber = sealed, MaskIDNumber(cp.IDNumber), ""
	return nil
}

// MaskOptions say how a case is masked for one viewer.
type MaskOptions struct {
	// HideComplainant withholds who the complainant is altogether: a
	// report seen from the respondent's side (an ODR enterprise, a station
	// hosted by a business) must never learn who reported it.
	HideComplainant bool
}

// ReporterHidden reports whether a viewer from a unit of type t must not
// learn who filed c: a report, seen from the respondent's side.
func ReporterHidden(c *Case, t UnitType) bool {
	return c.Kind == KindReport && (t == UnitEnterprise || t == UnitStation)
}

// Masked returns the masked view of c: phones (the complainant's, the
// caller's, the SMS recipients') as 138****8000, the ID number only as
// 3502**********1234, and the complainant's own numbers masked wherever
// staff or the caller typed them into free text (description, title, notes,
// answers, SMS bodies). c is not modified; the copy shares nothing that
// Masked changes.
func (c *Case) Masked(o MaskOptions) *Case {
	out := *c
	cp := &out.Complainant
	secrets := piiForms(c)
	var names []string
	if o.HideComplainant {
		// Not even the masked forms: their visible digits help guess who
		// reported.
		if len([]rune(c.Complainant.Name)) >= 2 {
			names = append(names, c.Complainant.Name)
		}
		if c.Complainant.IDNumberMasked != "" {
			names = append(names, c.Complainant.IDNumberMasked)
		}
	}
	scrub := func(s string) string { return MaskIDNumbersIn(scrubPII(s, secrets, names, o.HideComplainant)) }
	cp.IDNumber, cp.IDNumberSealed = "", ""
	cp.Phone = MaskPhone(cp.Phone)
	out.Source.CallerNumber = MaskPhone(out.Source.CallerNumber)
	if o.HideComplainant {
		*cp = Complainant{Anonymous: c.Complainant.Anonymous, Withheld: true}
		out.Source.CallerNumber = ""
	}
	out.Title, out.Description = scrub(out.Title), scrub(out.Description)
	out.Result.Note, out.Result.Answer = scrub(out.Result.Note), scrub(out.Result.Answer)
	if c.Events != nil {
		out.Events = make([]Event, len(c.Events))
		for i, e := range c.Events {
			e.Note = scrub(e.Note)
			out.Events[i] = e
		}
	}
	if c.Messages != nil {
		out.Messages = make([]Message, len(c.Messages))
		for i, m := range c.Messages {
			m.To, m.Body = maskE164(m.To), scrub(m.Body)
			if o.HideComplainant {
				m.To = ""
			}
			out.Messages[i] = m
		}
	}
	return &out
}

// piiForms are the digit strings by which the complainant's own numbers can
// appear in free text: phones as digits (and a landline's local part), the
// ID number.
func piiForms(c *Case) []string {
	var forms []string
	for _, p := range []string{c.Complainant.Phone, c.Source.CallerNumber} {
		n, ok := ParsePhone(p)
		if !ok {
			continue
		}
		forms = append(forms, strings.ReplaceAll(string(n), "-", ""))
		if _, local, ok := strings.Cut(string(n), "-"); ok {
			forms = append(forms, local)
		}
		if n.IsMobile() {
			forms = append(forms, "86"+string(n))
		}
	}
	if c.Complainant.IDNumber != "" {
		forms = append(forms, c.Complainant.IDNumber)
	}
	return forms
}

// ScrubPII masks, in free text, every run of digits (with the spaces,
// dashes and brackets people group them with, and an ID number's X) that
// contains one of forms, and replaces every occurrence of names. Runs that
// are not the case's own numbers are left as typed: an order number or a
// business's hotline is what the officer needs to read.
func ScrubPII(text string, forms, names []string) string {
	return scrubPII(text, forms, names, false)
}

// scrubPII is ScrubPII; hide replaces a number wholly with asterisks
// instead of masking its middle.
func scrubPII(text string, forms, names []string, hide bool) string {
	for _, n := range names {
		text = strings.ReplaceAll(text, n, strings.Repeat("*", len([]rune(n))))
	}
	if len(forms) == 0 || text == "" {
		return text
	}
	isPart := func(r rune) bool {
		return r >= '0' && r <= '9' || r >= '０' && r <= '９' || r == 'X' || r == 'x' || r == 'Ｘ' ||
			strings.ContainsRune(" -()（）+－", r)
	}
	var b strings.Builder
	runes := []rune(text)
	for i := 0; i < len(runes); {
		if !isPart(runes[i]) {
			b.WriteRune(runes[i])
			i++
			continue
		}
		j := i
		for j < len(runes) && isPart(runes[j]) {
			j++
		}
		run := string(runes[i:j])
		d := NormalizeIDNumber(strings.Map(func(r rune) rune {
			if strings.ContainsRune("()（）+－", r) {
				return -1
			}
			return r
		}, run))
		hit := false
		for _, f := range forms {
			if len(f) >= 7 && strings.Contains(d, f) {
				hit = true
				break
			}
		}
		if hit {
			lead := len(run) - len(strings.TrimLeft(run, " "))
			trail := len(run) - len(strings.TrimRight(run, " "))
			core := strings.TrimSpace(run)
			b.WriteString(run[:lead])
			if hide {
				b.WriteString(strings.Repeat("*", len([]rune(core))))
			} else if len(d) == 18 {
				b.WriteString(MaskIDNumber(core))
			} else {
				b.WriteString(MaskPhone(core))
			}
			b.WriteString(run[len(run)-trail:])
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String()
}

// MaskIDNumbersIn masks every resident ID number in free text, whoever's it
// is: an 18-character run (17 digits and a digit or X, not part of a longer
// number) whose check character is right. A longer or shorter number, or an
// 18-digit order number whose last digit happens not to check (ten in
// eleven), is left as typed.
func MaskIDNumbersIn(text string) string {
	isDigit := func(b byte) bool { return b >= '0' && b <= '9' }
	var b strings.Builder
	last := 0
	for i := 0; i+18 <= len(text); i++ {
		if (i > 0 && (isDigit(text[i-1]) || text[i-1] == 'X' || text[i-1] == 'x')) || !isDigit(text[i]) {
			continue
		}
		end := i + 18
		if end < len(text) && (isDigit(text[end]) || text[end] == 'X' || text[end] == 'x') {
			continue
		}
		cand := strings.ToUpper(text[i:end])
		if !ValidIDNumber(cand) {
			continue
		}
		b.WriteString(text[last:i])
		b.WriteString(MaskIDNumber(cand))
		last, i = end, end-1
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}
