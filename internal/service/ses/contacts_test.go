package ses

import (
	"testing"

	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestContactLists: one list per account; contacts with topic
// preferences, filtered by status with the topic's default; pages;
// deleting the list deletes its contacts.
func TestContactLists(t *testing.T) {
	h := servicetest.New(t, "ses")
	v2 := NewV2(New(Options{Store: h.Store(), Clock: h.Clock}))
	ctx := h.Ctx()
	list := ptr.To("news")
	topics := []sesv2api.Topic{{TopicName: ptr.To("weekly"), DisplayName: ptr.To("Weekly"), DefaultSubscriptionStatus: ptr.To("OPT_IN")}}
	if _, err := v2.CreateContactList(ctx, &sesv2api.CreateContactListRequest{ContactListName: list, Topics: topics}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateContactList(ctx, &sesv2api.CreateContactListRequest{ContactListName: ptr.To("other")}); awserr.As(err).Code.Code != "LimitExceededException" {
		t.Fatal("second list:", err)
	}
	add := func(addr, pref string) error {
		in := &sesv2api.CreateContactRequest{ContactListName: list, EmailAddress: ptr.To(addr)}
		if pref != "" {
			in.TopicPreferences = []sesv2api.TopicPreference{{TopicName: ptr.To("weekly"), SubscriptionStatus: ptr.To(pref)}}
		}
		_, err := v2.CreateContact(ctx, in)
		return err
	}
	for addr, pref := range map[string]string{"a@x.com": "", "b@x.com": "OPT_OUT", "c@x.com": "OPT_IN"} {
		if err := add(addr, pref); err != nil {
			t.Fatal(err)
		}
	}
	if err := add("a@x.com", ""); awserr.As(err).Code.Code != "AlreadyExistsException" {
		t.Fatal(err)
	}
	in := func(useDefault bool) []string {
		out, err := v2.ListContacts(ctx, &sesv2api.ListContactsRequest{ContactListName: list, Filter: &sesv2api.ListContactsFilter{FilteredStatus: ptr.To("OPT_IN"),
			TopicFilter: &sesv2api.TopicFilter{TopicName: ptr.To("weekly"), UseDefaultIfPreferenceUnavailable: ptr.To(useDefault)}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range out.Contacts {
			got = append(got, *c.EmailAddress)
		}
		return got
	}
	if got := in(true); len(got) != 2 || got[0] != "a@x.com" || got[1] != "c@x.com" {
		t.Fatal(got)
	}
	if got := in(false); len(got) != 1 || got[0] != "c@x.com" {
		t.Fatal(got)
	}
	p1, err := v2.ListContacts(ctx, &sesv2api.ListContactsRequest{ContactListName: list, PageSize: ptr.To(int32(2))})
	if err != nil || len(p1.Contacts) != 2 || p1.NextToken == nil {
		t.Fatal(p1, err)
	}
	p2, err := v2.ListContacts(ctx, &sesv2api.ListContactsRequest{ContactListName: list, PageSize: ptr.To(int32(2)), NextToken: p1.NextToken})
	if err != nil || len(p2.Contacts) != 1 || *p2.Contacts[0].EmailAddress != "c@x.com" || p2.NextToken != nil {
		t.Fatal(p2, err)
	}
	if _, err := v2.UpdateContact(ctx, &sesv2api.UpdateContactRequest{ContactListName: list, EmailAddress: ptr.To("a@x.com"), UnsubscribeAll: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	g, err := v2.GetContact(ctx, &sesv2api.GetContactRequest{ContactListName: list, EmailAddress: ptr.To("a@x.com")})
	if err != nil || !*g.UnsubscribeAll || len(g.TopicDefaultPreferences) != 1 {
		t.Fatal(g, err)
	}
	if _, err := v2.DeleteContactList(ctx, &sesv2api.DeleteContactListRequest{ContactListName: list}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.GetContact(ctx, &sesv2api.GetContactRequest{ContactListName: list, EmailAddress: ptr.To("a@x.com")}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
	if _, err := v2.CreateContactList(ctx, &sesv2api.CreateContactListRequest{ContactListName: list}); err != nil {
		t.Fatal("recreate:", err)
	}
	if out, err := v2.ListContacts(ctx, &sesv2api.ListContactsRequest{ContactListName: list}); err != nil || len(out.Contacts) != 0 {
		t.Fatal("contacts outlived their list:", out, err)
	}
}

// TestDedicatedIPPools: pools at API level, names unique without case.
func TestDedicatedIPPools(t *testing.T) {
	h := servicetest.New(t, "ses")
	v2 := NewV2(New(Options{Store: h.Store(), Clock: h.Clock}))
	ctx := h.Ctx()
	for _, n := range []string{"b-pool", "a-pool"} {
		if _, err := v2.CreateDedicatedIpPool(ctx, &sesv2api.CreateDedicatedIpPoolRequest{PoolName: ptr.To(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v2.CreateDedicatedIpPool(ctx, &sesv2api.CreateDedicatedIpPoolRequest{PoolName: ptr.To("A-POOL")}); awserr.As(err).Code.Code != "AlreadyExistsException" {
		t.Fatal(err)
	}
	l, err := v2.ListDedicatedIpPools(ctx, &sesv2api.ListDedicatedIpPoolsRequest{})
	if err != nil || len(l.DedicatedIpPools) != 2 || l.DedicatedIpPools[0] != "a-pool" {
		t.Fatal(l, err)
	}
	g, err := v2.GetDedicatedIpPool(ctx, &sesv2api.GetDedicatedIpPoolRequest{PoolName: ptr.To("a-pool")})
	if err != nil || *g.DedicatedIpPool.ScalingMode != "STANDARD" {
		t.Fatal(g, err)
	}
	if _, err := v2.DeleteDedicatedIpPool(ctx, &sesv2api.DeleteDedicatedIpPoolRequest{PoolName: ptr.To("a-pool")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.GetDedicatedIpPool(ctx, &sesv2api.GetDedicatedIpPoolRequest{PoolName: ptr.To("a-pool")}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
}

// TestTagsV2: tags given at creation and by TagResource read back by
// ListTagsForResource and the resource's Get; untag removes; an unknown
// resource is NotFoundException; a deleted resource's tags go with it.
func TestTagsV2(t *testing.T) {
	h := servicetest.New(t, "ses")
	v2 := NewV2(New(Options{Store: h.Store(), Clock: h.Clock}))
	ctx := h.Ctx()
	tag := func(k, v string) sesv2api.Tag { return sesv2api.Tag{Key: ptr.To(k), Value: ptr.To(v)} }
	if _, err := v2.CreateConfigurationSet(ctx, &sesv2api.CreateConfigurationSetRequest{ConfigurationSetName: ptr.To("cs"), Tags: []sesv2api.Tag{tag("team", "mail")}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:ses:" + ctx.Region + ":" + ctx.Account + ":configuration-set/cs"
	if _, err := v2.TagResource(ctx, &sesv2api.TagResourceRequest{ResourceArn: ptr.To(arn), Tags: []sesv2api.Tag{tag("env", "dev")}}); err != nil {
		t.Fatal(err)
	}
	l, err := v2.ListTagsForResource(ctx, &sesv2api.ListTagsForResourceRequest{ResourceArn: ptr.To(arn)})
	if err != nil || len(l.Tags) != 2 || *l.Tags[0].Key != "env" || *l.Tags[1].Value != "mail" {
		t.Fatal(l, err)
	}
	if _, err := v2.UntagResource(ctx, &sesv2api.UntagResourceRequest{ResourceArn: ptr.To(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	g, err := v2.GetConfigurationSet(ctx, &sesv2api.GetConfigurationSetRequest{ConfigurationSetName: ptr.To("cs")})
	if err != nil || len(g.Tags) != 1 || *g.Tags[0].Key != "team" {
		t.Fatal(g, err)
	}
	if _, err := v2.TagResource(ctx, &sesv2api.TagResourceRequest{ResourceArn: ptr.To(arn + "x"), Tags: []sesv2api.Tag{tag("a", "b")}}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
	if _, err := v2.DeleteConfigurationSet(ctx, &sesv2api.DeleteConfigurationSetRequest{ConfigurationSetName: ptr.To("cs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateConfigurationSet(ctx, &sesv2api.CreateConfigurationSetRequest{ConfigurationSetName: ptr.To("cs")}); err != nil {
		t.Fatal(err)
	}
	if l, _ := v2.ListTagsForResource(ctx, &sesv2api.ListTagsForResourceRequest{ResourceArn: ptr.To(arn)}); len(l.Tags) != 0 {
		t.Fatal("tags outlived their set:", l.Tags)
	}
}

// TestImportJobs: a CSV file imports into the suppression list and a
// JSON one into a contact list (a bad address counts as failed); a file
// SES may not read fails the job with the reason.
func TestImportJobs(t *testing.T) {
	r := newReceiving(t)
	ctx, v2 := r.h.Ctx(), NewV2(r.c)
	r.objs.files = map[string][]byte{
		"inbox/supp.csv":      []byte("emailAddress,reason\nx@a.com,BOUNCE\ny@a.com,COMPLAINT\nnot-an-address,BOUNCE\n"),
		"inbox/contacts.json": []byte(`{"emailAddress":"c@a.com","unsubscribeAll":true}` + "\n" + `{"emailAddress":"d@a.com"}` + "\n"),
	}
	job := func(dst *sesv2api.ImportDestination, url, format string) *sesv2api.GetImportJobResponse {
		t.Helper()
		out, err := v2.CreateImportJob(ctx, &sesv2api.CreateImportJobRequest{ImportDestination: dst,
			ImportDataSource: &sesv2api.ImportDataSource{S3Url: ptr.To(url), DataFormat: ptr.To(format)}})
		if err != nil {
			t.Fatal(err)
		}
		g, err := v2.GetImportJob(ctx, &sesv2api.GetImportJobRequest{JobId: out.JobId})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	supp := &sesv2api.ImportDestination{SuppressionListDestination: &sesv2api.SuppressionListDestination{SuppressionListImportAction: ptr.To("PUT")}}
	g := job(supp, "s3://inbox/supp.csv", "CSV")
	if *g.JobStatus != "COMPLETED" || *g.ProcessedRecordsCount != 2 || *g.FailedRecordsCount != 1 {
		t.Fatalf("%+v", g)
	}
	if sd, err := v2.GetSuppressedDestination(ctx, &sesv2api.GetSuppressedDestinationRequest{EmailAddress: ptr.To("y@a.com")}); err != nil || *sd.SuppressedDestination.Reason != "COMPLAINT" {
		t.Fatal(sd, err)
	}
	if _, err := v2.CreateContactList(ctx, &sesv2api.CreateContactListRequest{ContactListName: ptr.To("l")}); err != nil {
		t.Fatal(err)
	}
	g = job(&sesv2api.ImportDestination{ContactListDestination: &sesv2api.ContactListDestination{ContactListName: ptr.To("l"), ContactListImportAction: ptr.To("PUT")}},
		"s3://inbox/contacts.json", "JSON")
	if *g.ProcessedRecordsCount != 2 {
		t.Fatalf("%+v", g)
	}
	if c, err := v2.GetContact(ctx, &sesv2api.GetContactRequest{ContactListName: ptr.To("l"), EmailAddress: ptr.To("c@a.com")}); err != nil || !*c.UnsubscribeAll {
		t.Fatal(c, err)
	}
	g = job(supp, "s3://closed/supp.csv", "CSV")
	if *g.JobStatus != "FAILED" || g.FailureInfo == nil {
		t.Fatalf("%+v", g)
	}
	l, err := v2.ListImportJobs(ctx, &sesv2api.ListImportJobsRequest{ImportDestinationType: ptr.To("SUPPRESSION_LIST")})
	if err != nil || len(l.ImportJobs) != 2 {
		t.Fatal(l, err)
	}
	if _, err := v2.CreateImportJob(ctx, &sesv2api.CreateImportJobRequest{ImportDestination: supp,
		ImportDataSource: &sesv2api.ImportDataSource{S3Url: ptr.To("https://x"), DataFormat: ptr.To("CSV")}}); awserr.As(err).Code.Code != "BadRequestException" {
		t.Fatal(err)
	}
}

// FuzzParseImport: any file parses to records or an error, never a
// panic.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte("emailAddress,reason\na@b.c,BOUNCE\n"), true)
	f.Add([]byte(`{"emailAddress":"a@b.c","unsubscribeAll":true}`), false)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		format := "JSON"
		if csv {
			format = "CSV"
		}
		_, _ = parseImport(data, format)
	})
}
