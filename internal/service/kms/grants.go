package kms

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// grant is a grant on a key, stored under (key id, grant id).
type grant struct {
	ID          string            `json:"id"`
	KeyID       string            `json:"keyId"`
	Name        string            `json:"name,omitempty"`
	Grantee     string            `json:"grantee"`
	Retiring    string            `json:"retiring,omitempty"`
	Issuer      string            `json:"issuer"`
	Operations  []string          `json:"operations"`
	Subset      map[string]string `json:"subset,omitempty"`
	Equals      map[string]string `json:"equals,omitempty"`
	Token       string            `json:"token"`
	Created     time.Time         `json:"created"`
	Constrained bool              `json:"hasConstraints,omitempty"`
}

func (g *grant) entry(sc storage.Scope) kmsapi.GrantListEntry {
	e := kmsapi.GrantListEntry{
		KeyId: ptr.To(keyARN(sc, g.KeyID)), GrantId: ptr.To(g.ID), CreationDate: ptr.To(g.Created),
		GranteePrincipal: ptr.To(g.Grantee), IssuingAccount: ptr.To("arn:aws:iam::" + g.Issuer + ":root"),
		Operations: append([]string{}, g.Operations...),
	}
	if g.Name != "" {
		e.Name = ptr.To(g.Name)
	}
	if g.Retiring != "" {
		e.RetiringPrincipal = ptr.To(g.Retiring)
	}
	if g.Constrained {
		e.Constraints = &kmsapi.GrantConstraints{EncryptionContextSubset: g.Subset, EncryptionContextEquals: g.Equals}
	}
	return e
}

func sameStrings(a, b []string) bool {
	a, b = append([]string{}, a...), append([]string{}, b...)
	sort.Strings(a)
	sort.Strings(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// CreateGrant stores a grant. A retry with the same Name and parameters
// returns the existing grant, as on AWS.
func (s *KMS) CreateGrant(ctx *request.Context, in *kmsapi.CreateGrantInput) (*kmsapi.CreateGrantOutput, error) {
	if in.DryRun != nil && *in.DryRun {
		return nil, kmsapi.ErrDryRunOperationException.New("The request would have succeeded, but the DryRun option is set.")
	}
	if len(in.Operations) == 0 {
		return nil, validation("1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null")
	}
	g := grant{
		Grantee: *in.GranteePrincipal, Issuer: ctx.Account, Operations: in.Operations, Created: ctx.Now(),
		ID: hex.EncodeToString(randomBytes(32)), Token: base64.RawURLEncoding.EncodeToString(randomBytes(96)),
	}
	if in.Name != nil {
		g.Name = *in.Name
	}
	if in.RetiringPrincipal != nil {
		g.Retiring = *in.RetiringPrincipal
	}
	if c := in.Constraints; c != nil {
		if len(c.EncryptionContextEquals) > 0 && len(c.EncryptionContextSubset) > 0 {
			return nil, validation("EncryptionContextEquals and EncryptionContextSubset cannot both be set")
		}
		g.Subset, g.Equals, g.Constrained = c.EncryptionContextSubset, c.EncryptionContextEquals, true
	}
	now := ctx.Now()
	r, err := parseKeyRef(ctx, *in.KeyId)
	if err != nil {
		return nil, err
	}
	if r.alias != "" {
		return nil, kmsapi.ErrInvalidArnException.New("Key Aliases are not supported for this operation.")
	}
	err = s.store.Update(func(tx storage.Tx) error {
		k, _, _, err := lookup(tx, r, now)
		if err != nil {
			return err
		}
		if err := notPendingDeletion(&k); err != nil {
			return err
		}
		for _, op := range g.Operations {
			if !grantable(&k, op) {
				return validation("The grant operation %s is not valid for %s (key spec %s, key usage %s).", op, k.arn(), k.Spec, k.Usage)
			}
		}
		g.KeyID = k.ID
		if g.Name != "" {
			var found *grant
			if err := grants.List(tx, k.scope(), []string{k.ID}, storage.ListOptions{}, func(_ []string, o grant) bool {
				if o.Name == g.Name && o.Grantee == g.Grantee && o.Retiring == g.Retiring && sameStrings(o.Operations, g.Operations) &&
					sameMap(o.Subset, g.Subset) && sameMap(o.Equals, g.Equals) {
					found = &o
					return false
				}
				return true
			}); err != nil {
				return err
			}
			if found != nil {
				g = *found
				return nil
			}
		}
		return grants.Put(tx, k.scope(), g, k.ID, g.ID)
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.CreateGrantOutput{GrantId: &g.ID, GrantToken: &g.Token}, nil
}

// grantable reports whether a grant on k may allow op: the operations
// the key supports, and the grant management ones every key has.
func grantable(k *key, op string) bool {
	switch op {
	case "CreateGrant", "RetireGrant", "DescribeKey":
		return true
	}
	var ops []string
	switch {
	case k.Usage == "ENCRYPT_DECRYPT" && specs[k.Spec].symmetric():
		ops = []string{"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
			"GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"}
	case k.Usage == "ENCRYPT_DECRYPT":
		ops = []string{"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"}
	case k.Usage == "SIGN_VERIFY":
		ops = []string{"Sign", "Verify", "GetPublicKey"}
	case k.Usage == "GENERATE_VERIFY_MAC":
		ops = []string{"GenerateMac", "VerifyMac"}
	case k.Usage == "KEY_AGREEMENT":
		ops = []string{"DeriveSharedSecret", "GetPublicKey"}
	}
	return contains(ops, op)
}

// listGrantPage pages grants by grant id.
func listGrantPage(all []grant, sc storage.Scope, limit *int32, marker *string) (*kmsapi.ListGrantsOutput, error) {
	n := 50
	if limit != nil {
		n = int(*limit)
		if n > 100 {
			n = 100
		}
	}
	start := 0
	if marker != nil {
		start = -1
		for i, g := range all {
			if g.ID+"/"+g.KeyID == *marker {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, kmsapi.ErrInvalidMarkerException.New("Could not deserialize marker '%s'", *marker)
		}
	}
	out := &kmsapi.ListGrantsOutput{Grants: []kmsapi.GrantListEntry{}, Truncated: ptr.To(false)}
	for i := start; i < len(all); i++ {
		if len(out.Grants) == n {
			out.Truncated = ptr.To(true)
			m := all[i-1].ID + "/" + all[i-1].KeyID
			out.NextMarker = &m
			break
		}
		out.Grants = append(out.Grants, all[i].entry(sc))
	}
	return out, nil
}

// ListGrants lists the grants of a key.
func (s *KMS) ListGrants(ctx *request.Context, in *kmsapi.ListGrantsInput) (*kmsapi.ListGrantsOutput, error) {
	k, err := s.readKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	var all []grant
	err = s.store.View(func(tx storage.Tx) error {
		return grants.List(tx, k.scope(), []string{k.ID}, storage.ListOptions{}, func(_ []string, g grant) bool {
			if (in.GrantId == nil || *in.GrantId == g.ID) && (in.GranteePrincipal == nil || *in.GranteePrincipal == g.Grantee) {
				all = append(all, g)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return listGrantPage(all, k.scope(), in.Limit, in.Marker)
}

// ListRetirableGrants lists the grants a principal may retire.
func (s *KMS) ListRetirableGrants(ctx *request.Context, in *kmsapi.ListRetirableGrantsInput) (*kmsapi.ListRetirableGrantsOutput, error) {
	sc := scopeOf(ctx)
	var all []grant
	err := s.store.View(func(tx storage.Tx) error {
		return grants.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, g grant) bool {
			if g.Retiring == *in.RetiringPrincipal {
				all = append(all, g)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return listGrantPage(all, sc, in.Limit, in.Marker)
}

// RetireGrant deletes a grant named by its token or by key and grant id.
func (s *KMS) RetireGrant(ctx *request.Context, in *kmsapi.RetireGrantInput) (*kmsapi.RetireGrantOutput, error) {
	if in.DryRun != nil && *in.DryRun {
		return nil, kmsapi.ErrDryRunOperationException.New("The request would have succeeded, but the DryRun option is set.")
	}
	sc := scopeOf(ctx)
	if in.GrantToken != nil {
		return &kmsapi.RetireGrantOutput{}, s.store.Update(func(tx storage.Tx) error {
			var found *grant
			if err := grants.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, g grant) bool {
				if g.Token == *in.GrantToken {
					found = &g
					return false
				}
				return true
			}); err != nil {
				return err
			}
			if found == nil {
				return kmsapi.ErrInvalidGrantTokenException.New("Grant token is invalid or has been retired")
			}
			return grants.Delete(tx, sc, found.KeyID, found.ID)
		})
	}
	if in.KeyId == nil || in.GrantId == nil {
		return nil, validation("Either GrantToken, or both KeyId and GrantId, must be specified")
	}
	return &kmsapi.RetireGrantOutput{}, s.deleteGrant(ctx, in.KeyId, *in.GrantId)
}

// RevokeGrant deletes a grant by key and grant id.
func (s *KMS) RevokeGrant(ctx *request.Context, in *kmsapi.RevokeGrantInput) (*kmsapi.RevokeGrantOutput, error) {
	if in.DryRun != nil && *in.DryRun {
		return nil, kmsapi.ErrDryRunOperationException.New("The request would have succeeded, but the DryRun option is set.")
	}
	return &kmsapi.RevokeGrantOutput{}, s.deleteGrant(ctx, in.KeyId, *in.GrantId)
}

func (s *KMS) deleteGrant(ctx *request.Context, keyID *string, id string) error {
	k, err := s.readKey(ctx, keyID)
	if err != nil {
		return err
	}
	if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return kmsapi.ErrInvalidGrantIdException.New("Invalid grant ID %s", id)
	}
	return s.store.Update(func(tx storage.Tx) error {
		_, found, err := grants.Get(tx, k.scope(), k.ID, id)
		if err != nil {
			return err
		}
		if !found {
			return kmsapi.ErrNotFoundException.New("Grant ID %s not found", id)
		}
		return grants.Delete(tx, k.scope(), k.ID, id)
	})
}

// policyWithGrants is the key policy with one Allow statement per grant
// added, which is how the IAM engine sees grants: the grantee (and the
// retiring principal, for kms:RetireGrant) may perform the granted
// operations on the key. Encryption context constraints become
// conditions on kms:EncryptionContext:<key>.
func policyWithGrants(tx storage.Tx, k *key) (string, error) {
	var gs []grant
	if err := grants.List(tx, k.scope(), []string{k.ID}, storage.ListOptions{}, func(_ []string, g grant) bool {
		gs = append(gs, g)
		return true
	}); err != nil {
		return "", err
	}
	if len(gs) == 0 {
		return k.Policy, nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(k.Policy), &doc); err != nil {
		return k.Policy, nil
	}
	var stmts []any
	switch st := doc["Statement"].(type) {
	case []any:
		stmts = st
	case map[string]any:
		stmts = []any{st}
	}
	for _, g := range gs {
		acts := make([]string, 0, len(g.Operations))
		for _, op := range g.Operations {
			acts = append(acts, "kms:"+op)
		}
		st := map[string]any{"Sid": "grant-" + g.ID, "Effect": "Allow", "Principal": principal(g.Grantee), "Action": acts, "Resource": "*"}
		cond := map[string]any{}
		for kk, v := range g.Subset {
			cond["kms:EncryptionContext:"+kk] = v
		}
		for kk, v := range g.Equals {
			cond["kms:EncryptionContext:"+kk] = v
		}
		if len(cond) > 0 {
			c := map[string]any{"StringEquals": cond}
			if len(g.Equals) > 0 {
				// The context must be exactly Equals: no other keys.
				ks := make([]string, 0, len(g.Equals))
				for kk := range g.Equals {
					ks = append(ks, kk)
				}
				sort.Strings(ks)
				c["ForAllValues:StringEquals"] = map[string]any{"kms:EncryptionContextKeys": ks}
			}
			st["Condition"] = c
		}
		stmts = append(stmts, st)
		if g.Retiring != "" {
			stmts = append(stmts, map[string]any{"Sid": "grant-retire-" + g.ID, "Effect": "Allow", "Principal": principal(g.Retiring), "Action": "kms:RetireGrant", "Resource": "*"})
		}
	}
	doc["Statement"] = stmts
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func principal(p string) map[string]string {
	if strings.HasSuffix(p, ".amazonaws.com") {
		return map[string]string{"Service": p}
	}
	return map[string]string{"AWS": p}
}
