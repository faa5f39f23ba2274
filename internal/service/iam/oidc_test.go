package iam

import (
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestOIDCProviders(t *testing.T) {
	f := newFixture(t)
	thumb := "990f4193972f2becf12ddeda5237f9c952f20d9e"
	out := must(f.CreateOpenIDConnectProvider(f.ctx, &iamapi.CreateOpenIDConnectProviderInput{
		Url: ptr.To("https://token.example.com/"), ClientIDList: []string{"a", "a", "b"}, ThumbprintList: []string{thumb},
		Tags: []iamapi.Tag{{Key: ptr.To("team"), Value: ptr.To("x")}},
	}))
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/token.example.com"
	if *out.OpenIDConnectProviderArn != arn {
		t.Fatalf("arn = %s", *out.OpenIDConnectProviderArn)
	}
	wantErr(t, second(f.CreateOpenIDConnectProvider(f.ctx, &iamapi.CreateOpenIDConnectProviderInput{Url: ptr.To("https://token.example.com")})),
		"EntityAlreadyExists", 409, "Provider with url https://token.example.com already exists.")
	wantErr(t, second(f.CreateOpenIDConnectProvider(f.ctx, &iamapi.CreateOpenIDConnectProviderInput{Url: ptr.To("ftp://x")})),
		"InvalidInput", 400, "Invalid Open ID Connect Provider URL")

	must(f.AddClientIDToOpenIDConnectProvider(f.ctx, &iamapi.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: ptr.To("c")}))
	must(f.RemoveClientIDFromOpenIDConnectProvider(f.ctx, &iamapi.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: ptr.To("a")}))
	must(f.UpdateOpenIDConnectProviderThumbprint(f.ctx, &iamapi.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &arn, ThumbprintList: []string{}}))
	must(f.TagOpenIDConnectProvider(f.ctx, &iamapi.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, Tags: []iamapi.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}}}))
	must(f.UntagOpenIDConnectProvider(f.ctx, &iamapi.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, TagKeys: []string{"TEAM"}}))
	got := must(f.GetOpenIDConnectProvider(f.ctx, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn}))
	if *got.Url != "token.example.com" || len(got.ClientIDList) != 2 || got.ClientIDList[0] != "b" || got.ClientIDList[1] != "c" ||
		len(got.ThumbprintList) != 0 || len(got.Tags) != 1 || *got.Tags[0].Key != "env" || !got.CreateDate.Equal(t0.Truncate(1e9)) {
		t.Errorf("provider = %+v", got)
	}
	tags := must(f.ListOpenIDConnectProviderTags(f.ctx, &iamapi.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: &arn}))
	if len(tags.Tags) != 1 {
		t.Errorf("tags = %+v", tags.Tags)
	}
	p, ok, err := f.OIDCProviderByARN(arn)
	if err != nil || !ok || p.Account != testAccount || len(p.ClientIDs) != 2 {
		t.Errorf("OIDCProviderByARN = %+v %v %v", p, ok, err)
	}
	list := must(f.ListOpenIDConnectProviders(f.ctx, &iamapi.ListOpenIDConnectProvidersInput{}))
	if len(list.OpenIDConnectProviderList) != 1 || *list.OpenIDConnectProviderList[0].Arn != arn {
		t.Errorf("list = %+v", list)
	}
	must(f.DeleteOpenIDConnectProvider(f.ctx, &iamapi.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn}))
	wantErr(t, second(f.GetOpenIDConnectProvider(f.ctx, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})),
		"NoSuchEntity", 404, "OpenIDConnect Provider not found for arn "+arn)
}
