package weiquan

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestIDNumber(t *testing.T) {
	for _, tc := range []struct {
		in, norm string
		valid    bool
	}{
		{"11010519491231002X", "11010519491231002X", true}, // GB 11643 example, X check
		{"11010519491231002x", "11010519491231002X", true},
		{"１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", true}, // full-width
		{"110105 19491231 002X", "11010519491231002X", true},
		{"350203199001010017", "350203199001010017", false}, // wrong check character
		{"350203199001010018", "350203199001010018", true},
		{"11010519491231002", "11010519491231002", false}, // 17
		{"1101051949123100XX", "1101051949123100XX", false},
		{"", "", false},
	} {
		if got := NormalizeIDNumber(tc.in); got != tc.norm {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tc.in, got, tc.norm)
		}
		if got := ValidIDNumber(tc.norm); got != tc.valid {
			t.Errorf("ValidIDNumber(%q) = %v, want %v", tc.norm, got, tc.valid)
		}
	}
	if got := MaskIDNumber("350203199001010018"); got != "3502**********0018" {
		t.Errorf("MaskIDNumber = %q", got)
	}
}

func testKey(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune('a'+b)), 32)))
}

func TestKeyRing(t *testing.T) {
	old, err := ParseKeyRing("k1:" + testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal("350203199001010018")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "k1:") || strings.Contains(sealed, "350203199001010018") {
		t.Fatalf("sealed = %q", sealed)
	}
	again, _ := old.Seal("350203199001010018")
	if again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	// Rotation: a new key in front seals, the old one still opens.
	ring, err := ParseKeyRing(" k2:" + testKey(2) + ", k1:" + testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Open(sealed); err != nil || got != "350203199001010018" {
		t.Fatalf("open with the rotated ring: %q, %v", got, err)
	}
	resealed, _ := ring.Seal("350203199001010018")
	if SealedWith(resealed) != "k2" || ring.ActiveID() != "k2" {
		t.Fatalf("resealed under %q", SealedWith(resealed))
	}
	if _, err := old.Open(resealed); err == nil || !strings.Contains(err.Error(), `"k2"`) {
		t.Fatalf("a ring without k2 opened a k2 value: %v", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := old.Open(tampered); err == nil {
		t.Fatal("a tampered value opened")
	}
	for _, bad := range []string{"", "k1", "k1:notbase64!", "k1:" + base64.StdEncoding.EncodeToString([]byte("short")),
		"k1:" + testKey(1) + ",k1:" + testKey(2), "bad id:" + testKey(1)} {
		if _, err := ParseKeyRing(bad); err == nil {
			t.Errorf("ParseKeyRing(%q) accepted", bad)
		} else if strings.Contains(err.Error(), testKey(1)) {
			t.Errorf("error shows the key: %v", err)
		}
	}
}

func TestMasked(t *testing.T) {
	c := &Case{
		Kind:        KindReport,
		Source:      Source{CallerNumber: "0592-5551234"},
		Complainant: Complainant{Name: "李四", Phone: "13800138000", Address: "厦门市思明区", IDNumber: "350203199001010018"},
		Title:       "举报人李四，电话138 0013 8000",
		Description: "身份证350203199001010018，座机5551234，订单号 2026112600123",
		Events:      []Event{{Note: "回电 +86 138-0013-8000 未接"}},
		Messages:    []Message{{To: "+8613800138000", Body: "您的举报已登记"}},
	}
	m := c.Masked(MaskOptions{})
	for _, s := range []string{m.Complainant.Phone, m.Source.CallerNumber, m.Title, m.Description, m.Events[0].Note, m.Messages[0].To} {
		for _, full := range []string{"13800138000", "138 0013 8000", "138-0013-8000", "350203199001010018", "5551234"} {
			if strings.Contains(s, full) {
				t.Errorf("masked view shows %q in %q", full, s)
			}
		}
	}
	if m.Complainant.IDNumber != "" || m.Complainant.Phone != "138****8000" || m.Messages[0].To != "+86138****8000" {
		t.Errorf("masked complainant %+v, to %q", m.Complainant, m.Messages[0].To)
	}
	if !strings.Contains(m.Description, "2026112600123") {
		t.Errorf("an order number was masked: %q", m.Description)
	}
	if c.Complainant.Phone != "13800138000" || c.Events[0].Note != "回电 +86 138-0013-8000 未接" {
		t.Error("Masked changed the case it was given")
	}
	h := c.Masked(MaskOptions{HideComplainant: true})
	if h.Complainant.Name != "" || h.Complainant.Phone != "" || h.Complainant.Address != "" || !h.Complainant.Withheld ||
		h.Source.CallerNumber != "" || h.Messages[0].To != "" || strings.Contains(h.Title, "李四") ||
		strings.Contains(h.Title, "8000") || strings.Contains(h.Description, "0018") {
		t.Errorf("hidden complainant shows: %+v %q %q", h.Complainant, h.Source.CallerNumber, h.Title)
	}
}

func TestMaskIDNumbersIn(t *testing.T) {
	for in, want := range map[string]string{
		"身份证350203199001010018，":      "身份证3502**********0018，",
		"ID 35020319900101123x end":   "ID 3502**********123X end",
		"订单 3502031990010100181":      "订单 3502031990010100181", // 19 digits: not an ID number
		"订单 350203199001010017":       "订单 350203199001010017",  // check fails
		"a350203199001010018b 110105": "a3502**********0018b 110105",
	} {
		if got := MaskIDNumbersIn(in); got != want {
			t.Errorf("MaskIDNumbersIn(%q) = %q, want %q", in, got, want)
		}
	}
}
