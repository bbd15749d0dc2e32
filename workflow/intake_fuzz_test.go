package workflow

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"weiquan"
)

// FuzzDecodeIntake checks that any body is either a valid, normalised case
// or a coded error a person can be shown, and never a panic:
//
//	go test ./workflow -run '^$' -fuzz=FuzzDecodeIntake -fuzztime=20s
func FuzzDecodeIntake(f *testing.F) {
	valid := string(intakeMarshal(f, intakeTestBody(f)))
	seeds := []string{
		valid,
		`{"kind":"inquiry","channel":"12315","description":"预付卡退费怎么办？"}`,
		`{"kind":"report","channel":"12331","complainant":{"anonymous":true},"respondent":{"name":"某某餐馆","address":"三明沙县凤岗街道"},"description":"无证经营\r\n后厨脏乱"}`,
		`{"kind":"complaint","channel":"web","complainant":{"name":"李四","phone":"+86 591 8765 4321"},"respondent":{"name":"店","uscc":"９１３５０２０３ma2y0k1b3x","division_code":"350681"},"subject":{"category":"food","problem":"quality","amount_fen":-1,"purchase_date":"2099-01-01"},"description":"\t","demands":["refund","refund",""]}`,
		`{"kind":"complaint","kind":"report"}`,
		`{"Kind":"complaint","id":"x","complainant":{"age":1}}`,
		`{"demands":[1,null,{"a":[]}],"subject":{"amount_fen":"5"},"consent":{"sms":"yes"}}`,
		`{"subject":{"amount_fen":1e400}}`,
		`{"title":"\u202e\u0000\u200b"}`,
		`[]`, `null`, `{}`, ``, `{`, `{} {}`, `{}x`, "\ufeff{}",
		strings.Replace(valid, "359900", "3599.5", 1),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeIntake(body)
		if err != nil {
			var e *weiquan.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *weiquan.Error", err, err)
			}
			switch e.Code {
			case weiquan.EInvalid, weiquan.EValidation, weiquan.ETooLarge:
			default:
				t.Fatalf("error code %q (%v), want invalid, validation_failed or too_large", e.Code, err)
			}
			if e.Message == "" {
				t.Fatalf("error %v has no message", err)
			}
			if e.Code == weiquan.EValidation && len(e.Fields) == 0 {
				t.Fatalf("validation error %v names no field", err)
			}
			return
		}
		for _, p := range []string{c.Complainant.Phone, c.Source.CallerNumber} {
			if p == "" {
				continue
			}
			if n, ok := weiquan.ParsePhone(p); !ok || string(n) != p {
				t.Fatalf("phone %q is not normalised (%q, %v)", p, n, ok)
			}
		}
		if c.Respondent.DivisionCode != "" {
			if d, ok := weiquan.DivisionByCode(c.Respondent.DivisionCode); !ok || d.Level != weiquan.LevelCounty {
				t.Fatalf("division code %q is not a Fujian county", c.Respondent.DivisionCode)
			}
		}
		again := c
		again.Demands = append([]string{}, c.Demands...)
		if err := Validate(&again); err != nil {
			t.Fatalf("validating a decoded case again: %v", err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("validating a decoded case again changed it:\n got %+v\nwant %+v", again, c)
		}
	})
}
