package weiquan

import (
	"errors"
	"fmt"
	"testing"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		in   string
		want Phone
		ok   bool
	}{
		{"13800138000", "13800138000", true},
		{"138 0013 8000", "13800138000", true},
		{"138-0013-8000", "13800138000", true},
		{"+86 138 0013 8000", "13800138000", true},
		{"008613800138000", "13800138000", true},
		{"8613800138000", "13800138000", true},
		{"１３８００１３８０００", "13800138000", true},
		{"19912345678", "19912345678", true},
		{"0591-87654321", "0591-87654321", true},
		{"(0592)5123456", "0592-5123456", true},
		{"059187654321", "0591-87654321", true},
		{"010-12345678", "", false}, // local numbers never start with 1
		{"010-62345678", "010-62345678", true},
		{"021 6234 5678", "021-62345678", true},
		{"+86 591 8765 4321", "0591-87654321", true},
		{"12800138000", "", false}, // 12x is not a mobile prefix
		{"1380013800", "", false},
		{"138001380001", "", false},
		{"87654321", "", false}, // landline without area code
		{"", "", false},
		{"138OO138000", "", false},
		{"12315", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParsePhone(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPhoneForms(t *testing.T) {
	if got := Phone("13800138000").E164(); got != "+8613800138000" {
		t.Errorf("E164 mobile: got %s", got)
	}
	if got := Phone("0591-87654321").E164(); got != "+8659187654321" {
		t.Errorf("E164 landline: got %s", got)
	}
	if got := Phone("13800138000").Masked(); got != "138****8000" {
		t.Errorf("masked: got %s", got)
	}
	if Phone("0591-87654321").IsMobile() || !Phone("13800138000").IsMobile() {
		t.Error("IsMobile wrong")
	}
}

func TestUSCC(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"91350100M000100Y43", true}, // published example
		{"91350203MA2YJ6QX1Y", true},
		{"91350203MA2YJ6QX1C", false}, // wrong check character
		{"91350203MA2YJ6QX1", false},  // 17 characters
		{"91350203MA2YJ6QI1Y", false}, // I is not in the alphabet
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := ValidUSCC(NormalizeUSCC(tt.code)); got != tt.ok {
				t.Errorf("got %v, want %v", got, tt.ok)
			}
		})
	}
	if !ValidUSCC(NormalizeUSCC(" 91350100m000100y43 ")) {
		t.Error("normalised lower-case code should be valid")
	}
}

func TestDivisions(t *testing.T) {
	counts := map[string]int{}
	for _, d := range Divisions {
		counts[d.Level]++
	}
	if counts[LevelProvince] != 1 || counts[LevelCity] != 9 || counts[LevelCounty] != 84 {
		t.Errorf("got %v, want 1 province, 9 cities, 84 counties", counts)
	}
	tests := []struct{ code, city string }{
		{"350203", "350200"}, {"350200", "350200"}, {"350000", ""}, {"999999", ""}, {"350128", "350100"},
	}
	for _, tt := range tests {
		if got := CityCode(tt.code); got != tt.city {
			t.Errorf("CityCode(%s): got %q, want %q", tt.code, got, tt.city)
		}
	}
}

func TestErrors(t *testing.T) {
	base := Errorf(ENotFound, "没有这个案件")
	wrapped := fmt.Errorf("get case: %w", base)
	if ErrorCode(wrapped) != ENotFound || ErrorMessage(wrapped) != "没有这个案件" {
		t.Errorf("got %s %q", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	plain := errors.New("socket closed")
	if ErrorCode(plain) != EInternal || ErrorMessage(plain) == "socket closed" {
		t.Error("a plain error must map to internal and never show its text")
	}
	v := ValidationErrors{}
	if v.Err() != nil {
		t.Error("empty validation errors must be nil")
	}
	v.Add("a", "required", "必填")
	v.Add("a", "too_long", "太长")
	var e *Error
	if !errors.As(v.Err(), &e) || e.Code != EValidation || e.Fields["a"].Code != "required" {
		t.Errorf("got %v", v.Err())
	}
}
