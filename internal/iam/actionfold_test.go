package iam

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// actionMatchesAsBefore is how a statement's action pattern was matched
// before foldAction: the request's action lower-cased into a new string.
func actionMatchesAsBefore(pattern, action string) bool {
	return globFold(pattern, strings.ToLower(action))
}

// TestActionMatchesAsLowerCased holds actionMatches over foldAction's
// form to the lower-cased action's match: patterns as Parse stores them
// (lower-cased) and as a caller might build them (mixed case), actions
// in every case, with wildcards, non-ASCII and invalid UTF-8 on either
// side, and random strings over an alphabet that makes them collide.
func TestActionMatchesAsLowerCased(t *testing.T) {
	patterns := []string{
		"s3:getobject", "s3:get*", "s3:*", "*", "s3:?etobject", "s3:GetObject", "S3:Get*",
		"sqs:sendmessage", "dynamodb:*item", "", "s3:getöbject", "s3:getÖbject", "s3:get\xffobject",
		"iam:passrole", "kms:*crypt*", "?", "*:*",
	}
	actions := []string{
		"s3:GetObject", "s3:getobject", "S3:GETOBJECT", "s3:PutObject", "sqs:SendMessage",
		"dynamodb:GetItem", "dynamodb:PutItem", "", "s3:GetÖbject", "s3:getöbject", "S3:GETÖBJECT",
		"s3:Get\xffObject", "iam:PassRole", "kms:Decrypt", "KMS:ReEncryptFrom", "s3:GetObjectİ",
	}
	check := func(p, a string) {
		t.Helper()
		if got, want := actionMatches(p, foldAction(a)), actionMatchesAsBefore(p, a); got != want {
			t.Errorf("actionMatches(%q, foldAction(%q)) = %v, lower-cased match %v", p, a, got, want)
		}
	}
	for _, p := range patterns {
		for _, a := range actions {
			check(p, a)
			check(strings.ToLower(p), a)
		}
	}
	alphabet := []string{"a", "A", "b", "B", "*", "?", ":", "ö", "Ö", "\xff", "İ", "z"}
	r := rand.New(rand.NewPCG(28, 12))
	word := func() string {
		var b strings.Builder
		for range r.IntN(7) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		p, a := word(), strings.ReplaceAll(strings.ReplaceAll(word(), "*", "x"), "?", "y")
		check(p, a)
		check(strings.ToLower(p), a)
	}
}

// TestFoldActionKeepsASCII: an ASCII action (every AWS action) is
// matched as it is, with no new string; any other is lower-cased.
func TestFoldActionKeepsASCII(t *testing.T) {
	a := "dynamodb:GetItem"
	if got := foldAction(a); got != a {
		t.Fatalf("foldAction(%q) = %q", a, got)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, func() { _ = foldAction(a) }); n != 0 {
		t.Errorf("foldAction of an ASCII action: %v allocations, want 0", n)
	}
	if got := foldAction("s3:GetÖbject"); got != "s3:getöbject" {
		t.Errorf("foldAction of a non-ASCII action = %q, want it lower-cased", got)
	}
}

// FuzzActionMatches: actionMatches over foldAction's form is the match
// of the lower-cased action, for any pattern and action.
func FuzzActionMatches(f *testing.F) {
	f.Add("s3:get*", "s3:GetObject")
	f.Add("S3:Get?bject", "s3:GETOBJECT")
	f.Add("*ö*", "Ö")
	f.Add("\xff*", "\xffA")
	f.Fuzz(func(t *testing.T, p, a string) {
		if got, want := actionMatches(p, foldAction(a)), actionMatchesAsBefore(p, a); got != want {
			t.Fatalf("actionMatches(%q, foldAction(%q)) = %v, lower-cased match %v", p, a, got, want)
		}
	})
}

// TestEvaluateAllowAllocations: a user's identity policy allowing the
// request is decided with one allocation, the matched statements'
// slice (the action was lower-cased into a new string, and the matches
// copied into another slice, before).
func TestEvaluateAllowAllocations(t *testing.T) {
	id := pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b1*"}]}`)
	req := Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b1/k"}
	pols := Policies{Identity: []*Policy{id}, ResourceAccount: acct}
	d := Evaluate(req, pols)
	if !d.Allowed() || len(d.Matched) != 1 || d.Matched[0].Statement != &id.Statements[0] {
		t.Fatalf("Evaluate = %+v, want allowed by the identity statement", d)
	}
	// With a resource policy allowing too, both layers' matches are
	// reported, the identity's first, as before.
	res := pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":"s3:Get*","Resource":"arn:aws:s3:::b1/*"}]}`)
	both := Evaluate(req, Policies{Identity: []*Policy{id}, Resource: res, ResourceAccount: acct})
	want := []Match{{Policy: id, Statement: &id.Statements[0]}, {Policy: res, Statement: &res.Statements[0]}}
	if !both.Allowed() || !slices.Equal(both.Matched, want) {
		t.Fatalf("Evaluate with a resource policy = %+v, want both layers' statements", both)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(200, func() { _ = Evaluate(req, pols) }); n != 1 {
		t.Errorf("Evaluate allowing a user: %v allocations, want 1", n)
	}
}
