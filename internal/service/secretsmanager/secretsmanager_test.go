package secretsmanager

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const day24 = 24 * time.Hour

func TestCreateGetByIDs(t *testing.T) {
	f := newFixture(t)
	out := f.create(t, "app/db", `{"user":"a"}`)
	arn := *out.ARN
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:"+servicetest.DefaultRegion+":"+servicetest.DefaultAccount+":secret:app/db-") || len(arn) != len("arn:aws:secretsmanager:"+servicetest.DefaultRegion+":"+servicetest.DefaultAccount+":secret:app/db-")+6 {
		t.Fatalf("ARN %s", arn)
	}
	// By name, full ARN and partial ARN (without the random suffix).
	for _, id := range []string{"app/db", arn, strings.TrimSuffix(arn, arn[len(arn)-7:])} {
		if got := f.value(t, id); got != `{"user":"a"}` {
			t.Fatalf("GetSecretValue(%s) = %q", id, got)
		}
	}
	_, err := f.s.GetSecretValue(f.h.Ctx(), &smapi.GetSecretValueInput{SecretId: ptr.To(arn[:len(arn)-1] + "X")})
	wantCode(t, err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	// Binary values come back as bytes.
	bin := []byte{0, 1, 2, 255}
	if _, err := f.s.CreateSecret(f.h.Ctx(), &smapi.CreateSecretInput{Name: ptr.To("bin"), SecretBinary: bin}); err != nil {
		t.Fatal(err)
	}
	g, err := f.s.GetSecretValue(f.h.Ctx(), &smapi.GetSecretValueInput{SecretId: ptr.To("bin")})
	if err != nil || !bytes.Equal(g.SecretBinary, bin) || g.SecretString != nil {
		t.Fatalf("binary: %+v %v", g, err)
	}
	// A secret created without a value has no version.
	if _, err := f.s.CreateSecret(f.h.Ctx(), &smapi.CreateSecretInput{Name: ptr.To("empty")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetSecretValue(f.h.Ctx(), &smapi.GetSecretValueInput{SecretId: ptr.To("empty")})
	wantCode(t, err, "ResourceNotFoundException", "staging label: AWSCURRENT")
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	f.create(t, "s", "v")
	ctx := f.h.Ctx()
	cases := []struct {
		name, code, msg string
		call            func() error
	}{
		{"exists", "ResourceExistsException", "The operation failed because the secret s already exists.", func() error {
			_, err := f.s.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To("s"), SecretString: ptr.To("x")})
			return err
		}},
		{"both values", "InvalidParameterException", "You can't specify both a binary secret value and a string secret value", func() error {
			_, err := f.s.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To("t"), SecretString: ptr.To("x"), SecretBinary: []byte("y")})
			return err
		}},
		{"bad name", "ValidationException", "Invalid name.", func() error {
			_, err := f.s.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To("a b"), SecretString: ptr.To("x")})
			return err
		}},
		{"put without value", "InvalidRequestException", "You must provide either SecretString or SecretBinary.", func() error {
			_, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s")})
			return err
		}},
		{"short token", "InvalidParameterException", "ClientRequestToken must be 32-64 characters long.", func() error {
			_, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("x"), ClientRequestToken: ptr.To("short")})
			return err
		}},
		{"missing", "ResourceNotFoundException", "Secrets Manager can't find the specified secret.", func() error {
			_, err := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: ptr.To("nope")})
			return err
		}},
		{"unknown version", "ResourceNotFoundException", "VersionId: 00000000-0000-0000-0000-000000000000", func() error {
			_, err := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionId: ptr.To("00000000-0000-0000-0000-000000000000")})
			return err
		}},
		{"unknown stage", "ResourceNotFoundException", "staging label: AWSPREVIOUS", func() error {
			_, err := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionStage: ptr.To("AWSPREVIOUS")})
			return err
		}},
		{"force and window", "InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.", func() error {
			_, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s"), ForceDeleteWithoutRecovery: ptr.To(true), RecoveryWindowInDays: ptr.To(int64(7))})
			return err
		}},
		{"window too short", "InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).", func() error {
			_, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s"), RecoveryWindowInDays: ptr.To(int64(6))})
			return err
		}},
		{"window too long", "InvalidParameterException", "between 7 and 30", func() error {
			_, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s"), RecoveryWindowInDays: ptr.To(int64(31))})
			return err
		}},
		{"both id lists", "InvalidParameterException", "Either SecretIdList or Filters", func() error {
			_, err := f.s.BatchGetSecretValue(ctx, &smapi.BatchGetSecretValueInput{SecretIdList: []string{"s"}, Filters: []smapi.Filter{{Key: ptr.To("name"), Values: []string{"s"}}}})
			return err
		}},
		{"bad filter", "InvalidParameterException", "Invalid filter key", func() error {
			_, err := f.s.ListSecrets(ctx, &smapi.ListSecretsInput{Filters: []smapi.Filter{{Key: ptr.To("colour"), Values: []string{"s"}}}})
			return err
		}},
		{"bad next token", "InvalidNextTokenException", "", func() error {
			_, err := f.s.ListSecrets(ctx, &smapi.ListSecretsInput{NextToken: ptr.To("garbage!")})
			return err
		}},
		{"reserved tag", "InvalidParameterException", "aws:", func() error {
			_, err := f.s.TagResource(ctx, &smapi.TagResourceInput{SecretId: ptr.To("s"), Tags: []smapi.Tag{{Key: ptr.To("aws:x"), Value: ptr.To("v")}}})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), c.code, c.msg) })
	}
	// Nothing was changed by the refusals.
	if got := f.value(t, "s"); got != "v" {
		t.Fatalf("value %q", got)
	}
}

func TestTooManyTags(t *testing.T) {
	f := newFixture(t)
	f.create(t, "s", "v")
	var tags []smapi.Tag
	for i := range maxTags {
		tags = append(tags, smapi.Tag{Key: ptr.To("k" + string(rune('A'+i))), Value: ptr.To("v")})
	}
	if _, err := f.s.TagResource(f.h.Ctx(), &smapi.TagResourceInput{SecretId: ptr.To("s"), Tags: tags}); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.TagResource(f.h.Ctx(), &smapi.TagResourceInput{SecretId: ptr.To("s"), Tags: []smapi.Tag{{Key: ptr.To("one-more"), Value: ptr.To("v")}}})
	wantCode(t, err, "LimitExceededException", "")
	if _, err := f.s.UntagResource(f.h.Ctx(), &smapi.UntagResourceInput{SecretId: ptr.To("s"), TagKeys: []string{"kA"}}); err != nil {
		t.Fatal(err)
	}
	d, _ := f.s.DescribeSecret(f.h.Ctx(), &smapi.DescribeSecretInput{SecretId: ptr.To("s")})
	if len(d.Tags) != maxTags-1 || *d.Tags[0].Key != "kB" {
		t.Fatalf("tags %d first %s", len(d.Tags), *d.Tags[0].Key)
	}
}

// stages maps version ids to labels as DescribeSecret reports them.
func (f *fixture) stages(t *testing.T, id string) map[string][]string {
	t.Helper()
	d, err := f.s.DescribeSecret(f.h.Ctx(), &smapi.DescribeSecretInput{SecretId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return d.VersionIdsToStages
}

func TestVersionsAndStages(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	v1 := *f.create(t, "s", "one").VersionId
	p2, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("two")})
	if err != nil {
		t.Fatal(err)
	}
	v2 := *p2.VersionId
	want := map[string][]string{v1: {stagePrevious}, v2: {stageCurrent}}
	if got := f.stages(t, "s"); !mapsEqual(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	// A custom label only.
	tok := strings.Repeat("a", 32)
	if _, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("three"), ClientRequestToken: &tok, VersionStages: []string{"TEST"}}); err != nil {
		t.Fatal(err)
	}
	// Idempotent retry; a different value under the same token is refused.
	if _, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("three"), ClientRequestToken: &tok, VersionStages: []string{"TEST"}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("other"), ClientRequestToken: &tok})
	wantCode(t, err, "ResourceExistsException", "You can't modify an existing version, you can only create new versions.")
	if got, _ := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionStage: ptr.To("TEST")}); ptr.Deref(got.SecretString) != "three" {
		t.Fatalf("TEST = %v", got)
	}
	_, err = f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionId: &v1, VersionStage: ptr.To(stageCurrent)})
	wantCode(t, err, "InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")

	// Moving AWSCURRENT needs RemoveFromVersionId; then AWSPREVIOUS moves.
	_, err = f.s.UpdateSecretVersionStage(ctx, &smapi.UpdateSecretVersionStageInput{SecretId: ptr.To("s"), VersionStage: ptr.To(stageCurrent), MoveToVersionId: &tok})
	wantCode(t, err, "InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version "+v2)
	if _, err := f.s.UpdateSecretVersionStage(ctx, &smapi.UpdateSecretVersionStageInput{SecretId: ptr.To("s"), VersionStage: ptr.To(stageCurrent), MoveToVersionId: &tok, RemoveFromVersionId: &v2}); err != nil {
		t.Fatal(err)
	}
	want = map[string][]string{v2: {stagePrevious}, tok: {"TEST", stageCurrent}}
	if got := f.stages(t, "s"); !mapsEqual(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	if got := f.value(t, "s"); got != "three" {
		t.Fatalf("current %q", got)
	}
	// Removing a label; v1 is now deprecated (no labels) and listed only
	// with IncludeDeprecated.
	if _, err := f.s.UpdateSecretVersionStage(ctx, &smapi.UpdateSecretVersionStageInput{SecretId: ptr.To("s"), VersionStage: ptr.To("TEST"), RemoveFromVersionId: &tok}); err != nil {
		t.Fatal(err)
	}
	l, err := f.s.ListSecretVersionIds(ctx, &smapi.ListSecretVersionIdsInput{SecretId: ptr.To("s")})
	if err != nil || len(l.Versions) != 2 {
		t.Fatalf("versions %+v %v", l, err)
	}
	l, _ = f.s.ListSecretVersionIds(ctx, &smapi.ListSecretVersionIdsInput{SecretId: ptr.To("s"), IncludeDeprecated: ptr.To(true)})
	if len(l.Versions) != 3 || len(l.Versions[0].KmsKeyIds) != 1 {
		t.Fatalf("with deprecated %+v", l.Versions)
	}
	// UpdateSecret with a value makes a new AWSCURRENT, and a description.
	u, err := f.s.UpdateSecret(ctx, &smapi.UpdateSecretInput{SecretId: ptr.To("s"), SecretString: ptr.To("four"), Description: ptr.To("d")})
	if err != nil || u.VersionId == nil {
		t.Fatal(u, err)
	}
	if f.value(t, "s") != "four" {
		t.Fatal("UpdateSecret value")
	}
}

func TestVersionQuotaDropsDeprecated(t *testing.T) {
	f := newFixture(t)
	f.create(t, "s", "0")
	for i := 1; i <= maxVersions+5; i++ {
		if _, err := f.s.PutSecretValue(f.h.Ctx(), &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("v")}); err != nil {
			t.Fatal(i, err)
		}
	}
	l, _ := f.s.ListSecretVersionIds(f.h.Ctx(), &smapi.ListSecretVersionIdsInput{SecretId: ptr.To("s"), IncludeDeprecated: ptr.To(true), MaxResults: ptr.To(int32(100))})
	if len(l.Versions) != 100 || l.NextToken != nil {
		t.Fatalf("%d versions, next %v", len(l.Versions), l.NextToken)
	}
	// The dropped versions' values are gone from storage too.
	n := 0
	f.h.Store().View(func(tx storage.Tx) error {
		return values.List(tx, storage.Scope{Account: servicetest.DefaultAccount, Region: servicetest.DefaultRegion}, []string{"s"}, storage.ListOptions{}, func([]string, value) bool { n++; return true })
	})
	if n != maxVersions {
		t.Fatalf("%d values stored", n)
	}
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := b[k]
		v, w = slices.Clone(v), slices.Clone(w)
		slices.Sort(v)
		slices.Sort(w)
		if !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestEncryptedAtRest(t *testing.T) {
	f := newFixture(t)
	secretText := "hunter2-very-secret"
	out := f.create(t, "s", secretText)
	// Nothing in the store holds the plaintext.
	f.h.Store().View(func(tx storage.Tx) error {
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			if bytes.Contains(v, []byte(secretText)) {
				t.Errorf("plaintext stored under %q", k)
			}
			return true
		})
	})
	// The data key came from KMS, for the caller, under the AWS managed
	// key, bound to the secret and version.
	c := f.keys.calls[0]
	if c.Op != "GenerateDataKey" || !strings.HasSuffix(c.KeyID, "alias-aws-secretsmanager") || c.Caller != servicetest.Root(servicetest.DefaultAccount).ARN ||
		c.Context["SecretARN"] != *out.ARN || c.Context["SecretVersionId"] != *out.VersionId {
		t.Fatalf("KMS call %+v", c)
	}
	// A customer key is used when named.
	if _, err := f.s.CreateSecret(f.h.Ctx(), &smapi.CreateSecretInput{Name: ptr.To("k"), SecretString: ptr.To("x"), KmsKeyId: ptr.To("alias/mine")}); err != nil {
		t.Fatal(err)
	}
	d, _ := f.s.DescribeSecret(f.h.Ctx(), &smapi.DescribeSecretInput{SecretId: ptr.To("k")})
	if ptr.Deref(d.KmsKeyId) != "alias/mine" {
		t.Fatalf("KmsKeyId %v", d.KmsKeyId)
	}
	// A disabled key: reads fail with DecryptionFailure, writes with
	// EncryptionFailure; nothing stored changes.
	f.keys.disabled[f.keys.calls[len(f.keys.calls)-1].KeyID] = true
	_, err := f.s.GetSecretValue(f.h.Ctx(), &smapi.GetSecretValueInput{SecretId: ptr.To("k")})
	wantCode(t, err, "DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
	_, err = f.s.PutSecretValue(f.h.Ctx(), &smapi.PutSecretValueInput{SecretId: ptr.To("k"), SecretString: ptr.To("y")})
	wantCode(t, err, "EncryptionFailure", "Secrets Manager can't encrypt the protected secret text")
	if st := f.stages(t, "k"); len(st) != 1 {
		t.Fatalf("a failed write left versions %v", st)
	}
	// A caller KMS refuses: AccessDeniedException.
	bob := request.Caller{Account: servicetest.DefaultAccount, ARN: "arn:aws:iam::" + servicetest.DefaultAccount + ":user/bob"}
	f.keys.denied[bob.ARN] = true
	_, err = f.s.GetSecretValue(f.h.CtxAs(bob), &smapi.GetSecretValueInput{SecretId: ptr.To("s")})
	wantCode(t, err, "AccessDeniedException", "Access to KMS is not allowed")
	// A value tampered with in storage does not open.
	sc := storage.Scope{Account: servicetest.DefaultAccount, Region: servicetest.DefaultRegion}
	f.h.Store().Update(func(tx storage.Tx) error {
		v, _, _ := values.Get(tx, sc, "s", *out.VersionId)
		v.Sealed[len(v.Sealed)-1] ^= 1
		return values.Put(tx, sc, v, "s", *out.VersionId)
	})
	_, err = f.s.GetSecretValue(f.h.Ctx(), &smapi.GetSecretValueInput{SecretId: ptr.To("s")})
	wantCode(t, err, "DecryptionFailure", "")
}

func TestDeletionWindow(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	f.create(t, "s", "v")
	d, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s"), RecoveryWindowInDays: ptr.To(int64(7))})
	if err != nil || !d.DeletionDate.Equal(f.h.Clock.Now().Add(7*day24)) {
		t.Fatal(d, err)
	}
	for _, call := range []func() error{
		func() error {
			_, err := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s")})
			return err
		},
		func() error {
			_, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("x")})
			return err
		},
		func() error {
			_, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s")})
			return err
		},
		func() error {
			_, err := f.s.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To("s"), SecretString: ptr.To("x")})
			return err
		},
	} {
		wantCode(t, call(), "InvalidRequestException", "")
	}
	_, err = f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s")})
	wantCode(t, err, "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	// DescribeSecret shows it, with DeletedDate; ListSecrets only with
	// IncludePlannedDeletion.
	ds, err := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: ptr.To("s")})
	if err != nil || ds.DeletedDate == nil {
		t.Fatal(ds, err)
	}
	if l, _ := f.s.ListSecrets(ctx, &smapi.ListSecretsInput{}); len(l.SecretList) != 0 {
		t.Fatal("listed a deleted secret")
	}
	if l, _ := f.s.ListSecrets(ctx, &smapi.ListSecretsInput{IncludePlannedDeletion: ptr.To(true)}); len(l.SecretList) != 1 {
		t.Fatal("IncludePlannedDeletion")
	}
	// Restore within the window.
	f.h.Clock.Advance(6 * day24)
	if _, err := f.s.RestoreSecret(ctx, &smapi.RestoreSecretInput{SecretId: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	if f.value(t, "s") != "v" {
		t.Fatal("restored value")
	}
	// Deleted again: gone, with its values, when the window ends.
	if _, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s"), RecoveryWindowInDays: ptr.To(int64(7))}); err != nil {
		t.Fatal(err)
	}
	f.h.Clock.Advance(7 * day24)
	sc := storage.Scope{Account: servicetest.DefaultAccount, Region: servicetest.DefaultRegion}
	waitFor(t, "the purge", func() bool {
		gone := false
		f.h.Store().View(func(tx storage.Tx) error {
			_, ok, _ := secrets.Get(tx, sc, "s")
			n := 0
			values.List(tx, sc, []string{"s"}, storage.ListOptions{}, func([]string, value) bool { n++; return true })
			gone = !ok && n == 0
			return nil
		})
		return gone
	})
	_, err = f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: ptr.To("s")})
	wantCode(t, err, "ResourceNotFoundException", "")
	// The name is free again; ForceDeleteWithoutRecovery deletes at once.
	f.create(t, "s", "new")
	if _, err := f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s"), ForceDeleteWithoutRecovery: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: ptr.To("s")})
	wantCode(t, err, "ResourceNotFoundException", "")
}

// A deletion scheduled before a restart still happens after it.
func TestDeletionSurvivesRestart(t *testing.T) {
	f := newFixture(t, servicetest.OnDisk(t.TempDir()))
	f.create(t, "s", "v")
	if _, err := f.s.DeleteSecret(f.h.Ctx(), &smapi.DeleteSecretInput{SecretId: ptr.To("s"), RecoveryWindowInDays: ptr.To(int64(7))}); err != nil {
		t.Fatal(err)
	}
	f.s.Close()
	f.h.Reopen()
	f.start(t)
	f.h.Clock.Advance(8 * day24)
	sc := storage.Scope{Account: servicetest.DefaultAccount, Region: servicetest.DefaultRegion}
	waitFor(t, "the purge after restart", func() bool {
		var ok bool
		f.h.Store().View(func(tx storage.Tx) error { _, ok, _ = secrets.Get(tx, sc, "s"); return nil })
		return !ok
	})
}

func TestListSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	for i, n := range []string{"prod/db", "prod/api", "dev/db"} {
		if _, err := f.s.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To(n), SecretString: ptr.To("v"), Description: ptr.To("about " + n),
			Tags: []smapi.Tag{{Key: ptr.To("env"), Value: ptr.To(strings.Split(n, "/")[0])}}}); err != nil {
			t.Fatal(err)
		}
		_ = i
		f.h.Clock.Advance(time.Minute)
	}
	names := func(in *smapi.ListSecretsInput) []string {
		t.Helper()
		out, err := f.s.ListSecrets(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range out.SecretList {
			got = append(got, *e.Name)
		}
		return got
	}
	f1 := func(k string, v ...string) []smapi.Filter { return []smapi.Filter{{Key: ptr.To(k), Values: v}} }
	cases := []struct {
		name string
		in   *smapi.ListSecretsInput
		want []string
	}{
		{"newest first", &smapi.ListSecretsInput{}, []string{"dev/db", "prod/api", "prod/db"}},
		{"asc", &smapi.ListSecretsInput{SortOrder: ptr.To("asc")}, []string{"prod/db", "prod/api", "dev/db"}},
		{"by name", &smapi.ListSecretsInput{SortBy: ptr.To("name"), SortOrder: ptr.To("asc")}, []string{"dev/db", "prod/api", "prod/db"}},
		{"name prefix", &smapi.ListSecretsInput{Filters: f1("name", "prod/"), SortBy: ptr.To("name"), SortOrder: ptr.To("asc")}, []string{"prod/api", "prod/db"}},
		{"negated", &smapi.ListSecretsInput{Filters: f1("name", "!prod")}, []string{"dev/db"}},
		{"tag value", &smapi.ListSecretsInput{Filters: f1("tag-value", "dev")}, []string{"dev/db"}},
		{"description", &smapi.ListSecretsInput{Filters: f1("description", "about prod/a")}, []string{"prod/api"}},
		{"all", &smapi.ListSecretsInput{Filters: f1("all", "DEV")}, []string{"dev/db"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := names(c.in); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	// Paging.
	p1, err := f.s.ListSecrets(ctx, &smapi.ListSecretsInput{MaxResults: ptr.To(int32(2))})
	if err != nil || len(p1.SecretList) != 2 || p1.NextToken == nil {
		t.Fatal(p1, err)
	}
	p2, err := f.s.ListSecrets(ctx, &smapi.ListSecretsInput{MaxResults: ptr.To(int32(2)), NextToken: p1.NextToken})
	if err != nil || len(p2.SecretList) != 1 || p2.NextToken != nil || *p2.SecretList[0].Name != "prod/db" {
		t.Fatal(p2, err)
	}
}

func TestBatchGetSecretValue(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	f.create(t, "a", "va")
	f.create(t, "b", "vb")
	f.create(t, "c", "vc")
	out, err := f.s.BatchGetSecretValue(ctx, &smapi.BatchGetSecretValueInput{SecretIdList: []string{"a", "missing", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecretValues) != 2 || *out.SecretValues[1].SecretString != "vc" || len(out.Errors) != 1 ||
		*out.Errors[0].SecretId != "missing" || *out.Errors[0].ErrorCode != "ResourceNotFoundException" {
		t.Fatalf("%+v", out)
	}
	var got []string
	req := &smapi.BatchGetSecretValueInput{Filters: []smapi.Filter{{Key: ptr.To("name"), Values: []string{"a", "b", "c"}}}, MaxResults: ptr.To(int32(2))}
	for {
		out, err := f.s.BatchGetSecretValue(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.SecretValues {
			got = append(got, *v.SecretString)
		}
		if out.NextToken == nil {
			break
		}
		req.NextToken = out.NextToken
	}
	if !slices.Equal(got, []string{"va", "vb", "vc"}) {
		t.Fatalf("paged %v", got)
	}
}

func TestGetRandomPassword(t *testing.T) {
	f := newFixture(t)
	classes := func(p string) (lower, upper, digit, punct, space bool) {
		for _, c := range p {
			switch {
			case strings.ContainsRune(lowerChars, c):
				lower = true
			case strings.ContainsRune(upperChars, c):
				upper = true
			case strings.ContainsRune(digitChars, c):
				digit = true
			case strings.ContainsRune(punctChars, c):
				punct = true
			case c == ' ':
				space = true
			}
		}
		return
	}
	for i := 0; i < 50; i++ {
		out, err := f.s.GetRandomPassword(f.h.Ctx(), &smapi.GetRandomPasswordInput{})
		if err != nil {
			t.Fatal(err)
		}
		p := *out.RandomPassword
		l, u, d, pu, sp := classes(p)
		if len(p) != 32 || !l || !u || !d || !pu || sp {
			t.Fatalf("default password %q", p)
		}
	}
	out, err := f.s.GetRandomPassword(f.h.Ctx(), &smapi.GetRandomPasswordInput{PasswordLength: ptr.To(int64(200)), ExcludePunctuation: ptr.To(true),
		ExcludeCharacters: ptr.To("abcdefghijklmnopqrstuvwxyz0"), IncludeSpace: ptr.To(true)})
	if err != nil {
		t.Fatal(err)
	}
	p := *out.RandomPassword
	l, u, d, pu, sp := classes(p)
	if len(p) != 200 || l || !u || !d || pu || !sp || strings.Contains(p, "0") {
		t.Fatalf("excluding password %q", p)
	}
	_, err = f.s.GetRandomPassword(f.h.Ctx(), &smapi.GetRandomPasswordInput{PasswordLength: ptr.To(int64(3))})
	wantCode(t, err, "InvalidParameterException", "Password length is too short based on the required types.")
	if _, err := f.s.GetRandomPassword(f.h.Ctx(), &smapi.GetRandomPasswordInput{PasswordLength: ptr.To(int64(3)), RequireEachIncludedType: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetRandomPassword(f.h.Ctx(), &smapi.GetRandomPasswordInput{ExcludeLowercase: ptr.To(true), ExcludeUppercase: ptr.To(true), ExcludeNumbers: ptr.To(true), ExcludePunctuation: ptr.To(true)})
	wantCode(t, err, "InvalidParameterException", "")
}

func TestResourcePolicy(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	arn := *f.create(t, "s", "v").ARN
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	_, err := f.s.PutResourcePolicy(ctx, &smapi.PutResourcePolicyInput{SecretId: ptr.To("s"), ResourcePolicy: &public, BlockPublicPolicy: ptr.To(true)})
	wantCode(t, err, "PublicPolicyException", "")
	_, err = f.s.PutResourcePolicy(ctx, &smapi.PutResourcePolicyInput{SecretId: ptr.To("s"), ResourcePolicy: ptr.To("{not json")})
	wantCode(t, err, "MalformedPolicyDocumentException", "")
	if _, err := f.s.PutResourcePolicy(ctx, &smapi.PutResourcePolicyInput{SecretId: ptr.To("s"), ResourcePolicy: &doc, BlockPublicPolicy: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	g, err := f.s.GetResourcePolicy(ctx, &smapi.GetResourcePolicyInput{SecretId: ptr.To("s")})
	if err != nil || ptr.Deref(g.ResourcePolicy) != doc {
		t.Fatal(g, err)
	}
	// What the IAM engine reads.
	got, owner, found, err := f.s.ResourcePolicy(ctx, arn)
	if err != nil || !found || got != doc || owner != servicetest.DefaultAccount {
		t.Fatal(got, owner, found, err)
	}
	v, err := f.s.ValidateResourcePolicy(ctx, &smapi.ValidateResourcePolicyInput{ResourcePolicy: &public})
	if err != nil || *v.PolicyValidationPassed || len(v.ValidationErrors) != 1 {
		t.Fatal(v, err)
	}
	if _, err := f.s.DeleteResourcePolicy(ctx, &smapi.DeleteResourcePolicyInput{SecretId: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	if g, _ := f.s.GetResourcePolicy(ctx, &smapi.GetResourcePolicyInput{SecretId: ptr.To("s")}); g.ResourcePolicy != nil {
		t.Fatal("policy kept")
	}
	// SecretARN resolves names for authorization.
	if a, ok := f.s.SecretARN(ctx, servicetest.DefaultAccount, servicetest.DefaultRegion, "s"); !ok || a != arn {
		t.Fatal(a, ok)
	}
}

func TestReplication(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	const other = "eu-west-1"
	out, err := f.s.CreateSecret(ctx, &smapi.CreateSecretInput{Name: ptr.To("s"), SecretString: ptr.To("v1"),
		AddReplicaRegions: []smapi.ReplicaRegionType{{Region: ptr.To(other), KmsKeyId: ptr.To("alias/eu")}}})
	if err != nil || len(out.ReplicationStatus) != 1 || *out.ReplicationStatus[0].Status != "InSync" {
		t.Fatal(out, err)
	}
	there := servicetest.New(t, "secretsmanager", servicetest.InRegion(other)).Ctx()
	there.Clock = f.h.Clock
	get := func() string {
		g, err := f.s.GetSecretValue(there, &smapi.GetSecretValueInput{SecretId: ptr.To("s")})
		if err != nil {
			t.Fatal(err)
		}
		return *g.SecretString
	}
	if get() != "v1" {
		t.Fatal("replica value")
	}
	// The replica's value is sealed under its own region's key.
	if !slices.ContainsFunc(f.keys.calls, func(c keyCall) bool {
		return c.Op == "GenerateDataKey" && c.KeyID == "arn:aws:kms:"+other+":"+servicetest.DefaultAccount+":key/alias-eu" &&
			strings.Contains(c.Context["SecretARN"], ":"+other+":")
	}) {
		t.Fatalf("no data key from the replica region's key: %+v", f.keys.calls)
	}
	if _, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("v2")}); err != nil {
		t.Fatal(err)
	}
	if get() != "v2" {
		t.Fatal("replica not updated")
	}
	d, _ := f.s.DescribeSecret(there, &smapi.DescribeSecretInput{SecretId: ptr.To("s")})
	if ptr.Deref(d.PrimaryRegion) != servicetest.DefaultRegion || *d.ARN != strings.Replace(*out.ARN, servicetest.DefaultRegion, other, 1) {
		t.Fatalf("replica %+v", d)
	}
	// Replicas are read-only.
	_, err = f.s.PutSecretValue(there, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("x")})
	wantCode(t, err, "InvalidRequestException", "Operation not permitted on a replica secret.")
	// The primary can't be deleted while it has replicas.
	_, err = f.s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: ptr.To("s")})
	wantCode(t, err, "InvalidRequestException", "replica")
	// A name taken in the target region fails that replica, unless forced.
	f.create(t, "t", "primary")
	if _, err := f.s.CreateSecret(there, &smapi.CreateSecretInput{Name: ptr.To("t"), SecretString: ptr.To("local")}); err != nil {
		t.Fatal(err)
	}
	r, err := f.s.ReplicateSecretToRegions(ctx, &smapi.ReplicateSecretToRegionsInput{SecretId: ptr.To("t"), AddReplicaRegions: []smapi.ReplicaRegionType{{Region: ptr.To(other)}}})
	if err != nil || *r.ReplicationStatus[0].Status != "Failed" {
		t.Fatal(r, err)
	}
	r, err = f.s.ReplicateSecretToRegions(ctx, &smapi.ReplicateSecretToRegionsInput{SecretId: ptr.To("t"), AddReplicaRegions: []smapi.ReplicaRegionType{{Region: ptr.To(other)}}, ForceOverwriteReplicaSecret: ptr.To(true)})
	if err != nil || *r.ReplicationStatus[0].Status != "InSync" {
		t.Fatal(r, err)
	}
	// Promote the replica of s; remove t's replica.
	if _, err := f.s.StopReplicationToReplica(there, &smapi.StopReplicationToReplicaInput{SecretId: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutSecretValue(there, &smapi.PutSecretValueInput{SecretId: ptr.To("s"), SecretString: ptr.To("standalone")}); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: ptr.To("s")}); len(d.ReplicationStatus) != 0 {
		t.Fatal("primary still lists the promoted replica")
	}
	if _, err := f.s.RemoveRegionsFromReplication(ctx, &smapi.RemoveRegionsFromReplicationInput{SecretId: ptr.To("t"), RemoveReplicaRegions: []string{other}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.DescribeSecret(there, &smapi.DescribeSecretInput{SecretId: ptr.To("t")})
	wantCode(t, err, "ResourceNotFoundException", "")
	_, err = f.s.ReplicateSecretToRegions(ctx, &smapi.ReplicateSecretToRegionsInput{SecretId: ptr.To("t"), AddReplicaRegions: []smapi.ReplicaRegionType{{Region: ptr.To(servicetest.DefaultRegion)}}})
	wantCode(t, err, "InvalidParameterException", "")
}

func TestRotateImmediately(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	v1 := *f.create(t, "s", "old").VersionId
	fn := "arn:aws:lambda:" + servicetest.DefaultRegion + ":" + servicetest.DefaultAccount + ":function:rot"
	out, err := f.s.RotateSecret(ctx, &smapi.RotateSecretInput{SecretId: ptr.To("s"), RotationLambdaARN: &fn,
		RotationRules: &smapi.RotationRulesType{AutomaticallyAfterDays: ptr.To(int64(30))}})
	if err != nil || out.VersionId == nil {
		t.Fatal(out, err)
	}
	f.s.Idle()
	if got := f.fn.Steps(); !slices.Equal(got, []string{"createSecret", "setSecret", "testSecret", "finishSecret"}) {
		t.Fatalf("steps %v", got)
	}
	if f.value(t, "s") != "rotated" {
		t.Fatal("not rotated")
	}
	want := map[string][]string{v1: {stagePrevious}, *out.VersionId: {stageCurrent}}
	if got := f.stages(t, "s"); !mapsEqual(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	d, _ := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: ptr.To("s")})
	next := day(f.h.Clock.Now()).Add(30 * day24)
	if !ptr.Deref(d.RotationEnabled) || ptr.Deref(d.RotationLambdaARN) != fn || d.LastRotatedDate == nil || !d.NextRotationDate.Equal(next) ||
		*d.RotationRules.AutomaticallyAfterDays != 30 {
		t.Fatalf("describe %+v", d)
	}
}

func TestRotationSchedule(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	f.create(t, "s", "old")
	fn := "arn:aws:lambda:" + servicetest.DefaultRegion + ":" + servicetest.DefaultAccount + ":function:rot"
	if _, err := f.s.RotateSecret(ctx, &smapi.RotateSecretInput{SecretId: ptr.To("s"), RotationLambdaARN: &fn, RotateImmediately: ptr.To(false),
		RotationRules: &smapi.RotationRulesType{ScheduleExpression: ptr.To("rate(2 days)")}}); err != nil {
		t.Fatal(err)
	}
	f.h.Clock.Advance(day24)
	f.s.Idle()
	if len(f.fn.Steps()) != 0 {
		t.Fatal("rotated before the window")
	}
	f.h.Clock.Advance(day24)
	waitFor(t, "the scheduled rotation", func() bool { return len(f.fn.Steps()) == 4 })
	f.s.Idle()
	if f.value(t, "s") != "rotated" {
		t.Fatal("scheduled rotation did not finish")
	}
	// And again at the next window.
	f.fn.next = "again"
	f.h.Clock.Advance(2 * day24)
	waitFor(t, "the second rotation", func() bool { return len(f.fn.Steps()) == 8 })
	f.s.Idle()
	if f.value(t, "s") != "again" {
		t.Fatal("second rotation")
	}
	// CancelRotateSecret stops the schedule.
	if _, err := f.s.CancelRotateSecret(ctx, &smapi.CancelRotateSecretInput{SecretId: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	f.h.Clock.Advance(10 * day24)
	f.s.Idle()
	if len(f.fn.Steps()) != 8 {
		t.Fatal("rotated after cancel")
	}
}

func TestRotationFailures(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	f.create(t, "s", "old")
	fn := "arn:aws:lambda:" + servicetest.DefaultRegion + ":" + servicetest.DefaultAccount + ":function:rot"
	rotate := func() error {
		_, err := f.s.RotateSecret(ctx, &smapi.RotateSecretInput{SecretId: ptr.To("s"), RotationLambdaARN: &fn})
		return err
	}
	_, err := f.s.RotateSecret(ctx, &smapi.RotateSecretInput{SecretId: ptr.To("s")})
	wantCode(t, err, "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
	f.fn.allowed = false
	wantCode(t, rotate(), "AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")
	f.fn.allowed = true
	_, err = f.s.RotateSecret(ctx, &smapi.RotateSecretInput{SecretId: ptr.To("s"), RotationLambdaARN: &fn,
		RotationRules: &smapi.RotationRulesType{ScheduleExpression: ptr.To("rate(1 hour)")}})
	wantCode(t, err, "InvalidParameterException", "")
	// testSecret fails: AWSPENDING stays, the value does not change, and
	// the next RotateSecret says so and tries that rotation again.
	f.fn.failAt = "testSecret"
	if err := rotate(); err != nil {
		t.Fatal(err)
	}
	f.s.Idle()
	if f.value(t, "s") != "old" {
		t.Fatal("a failed rotation changed the value")
	}
	g, err := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionStage: ptr.To(stagePending)})
	if err != nil || *g.SecretString != "rotated" {
		t.Fatal(g, err)
	}
	f.fn.failAt = ""
	wantCode(t, rotate(), "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")
	f.s.Idle()
	if f.value(t, "s") != "rotated" {
		t.Fatal("reattempt did not finish")
	}
	if _, err := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionStage: ptr.To(stagePending)}); err == nil {
		t.Fatal("AWSPENDING left after a finished rotation")
	}
	// CancelRotateSecret takes AWSPENDING off a failed rotation.
	f.fn.failAt = "setSecret"
	if err := rotate(); err != nil {
		t.Fatal(err)
	}
	f.s.Idle()
	c, err := f.s.CancelRotateSecret(ctx, &smapi.CancelRotateSecretInput{SecretId: ptr.To("s")})
	if err != nil || c.VersionId == nil {
		t.Fatal(c, err)
	}
	if _, err := f.s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: ptr.To("s"), VersionStage: ptr.To(stagePending)}); err == nil {
		t.Fatal("AWSPENDING left after cancel")
	}
	f.fn.missing = true
	wantCode(t, rotate(), "InvalidRequestException", "can't find the specified Lambda function")
}

func TestParseRules(t *testing.T) {
	cases := []struct {
		in smapi.RotationRulesType
		ok bool
	}{
		{smapi.RotationRulesType{AutomaticallyAfterDays: ptr.To(int64(30))}, true},
		{smapi.RotationRulesType{AutomaticallyAfterDays: ptr.To(int64(0))}, false},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("rate(4 hours)")}, true},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("rate(3 hours)")}, false},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("rate(10 days)"), Duration: ptr.To("3h")}, true},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("rate(4 hours)"), Duration: ptr.To("2h")}, false},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("cron(0 8 1 * ? *)")}, true},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("cron(0 8 1 *)")}, false},
		{smapi.RotationRulesType{ScheduleExpression: ptr.To("every day")}, false},
		{smapi.RotationRulesType{AutomaticallyAfterDays: ptr.To(int64(3)), ScheduleExpression: ptr.To("rate(3 days)")}, false},
		{smapi.RotationRulesType{Duration: ptr.To("3h")}, false},
		{smapi.RotationRulesType{AutomaticallyAfterDays: ptr.To(int64(3)), Duration: ptr.To("25h")}, false},
	}
	for _, c := range cases {
		_, err := parseRules(&c.in)
		if (err == nil) != c.ok {
			b, _ := json.Marshal(c.in)
			t.Errorf("%s: err %v", b, err)
		}
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for expr, want := range map[string]time.Time{
		"rate(2 days)":      time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC),
		"rate(6 hours)":     time.Date(2026, 5, 1, 18, 0, 0, 0, time.UTC),
		"cron(0 8 1 * ? *)": time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC),
	} {
		if got := (rotation{Expression: expr}).nextAfter(at); got == nil || !got.Equal(want) {
			t.Errorf("%s: next %v, want %v", expr, got, want)
		}
	}
}

// A retried CreateSecret (same ClientRequestToken, same value) answers as
// the first; another value under that name is ResourceExistsException.
func TestCreateSecretRetry(t *testing.T) {
	f := newFixture(t)
	tok := strings.Repeat("b", 40)
	in := &smapi.CreateSecretInput{Name: ptr.To("s"), SecretString: ptr.To("v"), ClientRequestToken: &tok}
	first, err := f.s.CreateSecret(f.h.Ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.s.CreateSecret(f.h.Ctx(), in)
	if err != nil || *again.ARN != *first.ARN || *again.VersionId != tok {
		t.Fatal(again, err)
	}
	_, err = f.s.CreateSecret(f.h.Ctx(), &smapi.CreateSecretInput{Name: ptr.To("s"), SecretString: ptr.To("other"), ClientRequestToken: &tok})
	wantCode(t, err, "ResourceExistsException", "already exists")
	if st := f.stages(t, "s"); len(st) != 1 {
		t.Fatalf("versions %v", st)
	}
}
