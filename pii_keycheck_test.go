package weiquan_test

import (
	"bytes"
	"testing"

	"weiquan"
)

// Instances compare their ring keys by check value: the same key under the
// same id gives the same value in any ring, another key another value.
func TestKeyRingCheckValues(t *testing.T) {
	key := func(c byte) []byte { return bytes.Repeat([]byte{c}, 32) }
	a, err := weiquan.NewKeyRing(weiquan.SealKey{ID: "k2", Key: key('2')}, weiquan.SealKey{ID: "k1", Key: key('1')})
	if err != nil {
		t.Fatal(err)
	}
	b, err := weiquan.NewKeyRing(weiquan.SealKey{ID: "k1", Key: key('1')})
	if err != nil {
		t.Fatal(err)
	}
	c, err := weiquan.NewKeyRing(weiquan.SealKey{ID: "k1", Key: key('9')})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.CheckValue("k1"); got == "" || got != b.CheckValue("k1") {
		t.Errorf("same key: %q and %q", got, b.CheckValue("k1"))
	}
	if a.CheckValue("k1") == c.CheckValue("k1") || a.CheckValue("k1") == a.CheckValue("k2") {
		t.Error("different keys give the same check value")
	}
	if got := b.CheckValue("k2"); got != "" {
		t.Errorf("a key the ring lacks: %q", got)
	}
	if weiquan.KeyCheckValue(key('1'), "a") == weiquan.KeyCheckValue(key('1'), "b") {
		t.Error("the label does not separate the uses of a key")
	}
}
