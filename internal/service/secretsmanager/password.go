package secretsmanager

import (
	"crypto/rand"
	"math/big"
	"strings"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// The character classes of GetRandomPassword (AWS's punctuation set is
// every printable ASCII symbol).
const (
	lowerChars = "abcdefghijklmnopqrstuvwxyz"
	upperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digitChars = "0123456789"
	punctChars = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// GetRandomPassword generates a password: 32 characters by default, from
// upper and lower case letters, digits and punctuation, at least one of
// each included type unless RequireEachIncludedType is false, never a
// space unless IncludeSpace.
func (s *SecretsManager) GetRandomPassword(ctx *request.Context, in *smapi.GetRandomPasswordInput) (*smapi.GetRandomPasswordOutput, error) {
	n := int64(32)
	if in.PasswordLength != nil {
		n = *in.PasswordLength
	}
	if n < 1 || n > 4096 {
		return nil, invalidParam("PasswordLength must be between 1 and 4096.")
	}
	exclude := deref(in.ExcludeCharacters)
	keep := func(set string) string {
		var b strings.Builder
		for _, c := range set {
			if !strings.ContainsRune(exclude, c) {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	var classes []string
	add := func(excluded *bool, set string) {
		if !ptr.Deref(excluded) {
			if k := keep(set); k != "" {
				classes = append(classes, k)
			}
		}
	}
	add(in.ExcludeLowercase, lowerChars)
	add(in.ExcludeUppercase, upperChars)
	add(in.ExcludeNumbers, digitChars)
	add(in.ExcludePunctuation, punctChars)
	if ptr.Deref(in.IncludeSpace) && !strings.Contains(exclude, " ") {
		classes = append(classes, " ")
	}
	if len(classes) == 0 {
		return nil, invalidParam("The password can't be generated: every character type is excluded.")
	}
	require := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if require && int(n) < len(classes) {
		return nil, invalidParam("Password length is too short based on the required types.")
	}
	all := strings.Join(classes, "")
	out := make([]byte, n)
	for i := range out {
		out[i] = all[randIndex(len(all))]
	}
	if require {
		// One character of each type at distinct random positions.
		pos := make([]int, n)
		for i := range pos {
			pos[i] = i
		}
		for i, set := range classes {
			j := i + randIndex(len(pos)-i)
			pos[i], pos[j] = pos[j], pos[i]
			out[pos[i]] = set[randIndex(len(set))]
		}
	}
	return &smapi.GetRandomPasswordOutput{RandomPassword: ptr.To(string(out))}, nil
}

// randIndex is a uniform random index below n.
func randIndex(n int) int {
	// crypto/rand.Reader never fails (Go 1.24 and later).
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}
