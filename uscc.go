package weiquan

import "strings"

// The unified social credit code (统一社会信用代码, GB 32100-2015) is 18
// characters from this 31-character alphabet (no I, O, S, V, Z); the last is a
// check character over the first 17.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// NormalizeUSCC upper-cases and trims a code; it does not validate.
func NormalizeUSCC(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// USCCCheckChar computes the check character for the first 17 characters.
// ok is false when a character is outside the alphabet.
func USCCCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	c := (31 - sum%31) % 31
	return usccAlphabet[c], true
}

// ValidUSCC reports whether s (already normalised) is a well-formed code with
// the right check character.
func ValidUSCC(s string) bool {
	if len(s) != 18 {
		return false
	}
	c, ok := USCCCheckChar(s[:17])
	return ok && c == s[17]
}
