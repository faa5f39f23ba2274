package route53

import (
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCidrCollections: versioned changes, locations and blocks, the
// refusals (bad block, a block in two locations, version mismatch, a
// location or collection in use).
func TestCidrCollections(t *testing.T) {
	f := newFixture(t)
	c, err := f.CreateCidrCollection(f.ctx, &route53api.CreateCidrCollectionInput{Name: ptr.To("offices"), CallerReference: ptr.To("c1")})
	if err != nil {
		t.Fatal(err)
	}
	id := *c.Collection.Id
	if *c.Collection.Version != 1 || *c.Collection.Arn != "arn:aws:route53:::cidrcollection/"+id {
		t.Fatalf("collection %+v", c.Collection)
	}
	_, err = f.CreateCidrCollection(f.ctx, &route53api.CreateCidrCollectionInput{Name: ptr.To("offices"), CallerReference: ptr.To("c2")})
	wantErr(t, err, "CidrCollectionAlreadyExistsException", "A CIDR collection with the name offices already exists.")
	put := func(version int64, loc string, cidrs ...string) error {
		_, err := f.ChangeCidrCollection(f.ctx, &route53api.ChangeCidrCollectionInput{Id: ptr.To(id), CollectionVersion: ptr.To(version),
			Changes: []route53api.CidrCollectionChange{{LocationName: ptr.To(loc), Action: ptr.To("PUT"), CidrList: cidrs}}})
		return err
	}
	if err := put(1, "tokyo", "192.0.2.0/24", "2001:db8::/48"); err != nil {
		t.Fatal(err)
	}
	if err := put(2, "paris", "198.51.100.0/24"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, put(2, "paris", "203.0.113.0/24"), "CidrCollectionVersionMismatchException", "The CIDR collection version you provided, doesn't match the one in the ListCidrCollections operation.")
	wantErr(t, put(3, "paris", "192.0.2.0/24"), "CidrBlockInUseException", "The CIDR block 192.0.2.0/24 is already in use in location tokyo.")
	wantErr(t, put(3, "paris", "192.0.2.1/24"), "InvalidInput", "Invalid CIDR block: 192.0.2.1/24")
	wantErr(t, put(3, "paris", "192.0.2.0/25"), "InvalidInput", "Invalid CIDR block: 192.0.2.0/25")
	locs, err := f.ListCidrLocations(f.ctx, &route53api.ListCidrLocationsInput{CollectionId: ptr.To(id)})
	if err != nil || len(locs.CidrLocations) != 2 || *locs.CidrLocations[0].LocationName != "paris" {
		t.Fatalf("locations %+v %v", locs, err)
	}
	blocks, err := f.ListCidrBlocks(f.ctx, &route53api.ListCidrBlocksInput{CollectionId: ptr.To(id), LocationName: ptr.To("tokyo")})
	if err != nil || len(blocks.CidrBlocks) != 2 || *blocks.CidrBlocks[0].CidrBlock != "192.0.2.0/24" {
		t.Fatalf("blocks %+v %v", blocks, err)
	}
	_, err = f.ListCidrBlocks(f.ctx, &route53api.ListCidrBlocksInput{CollectionId: ptr.To(id), LocationName: ptr.To("nowhere")})
	wantErr(t, err, "NoSuchCidrLocationException", "The CIDR collection location doesn't match any locations in your account.")
	z := f.zone("example.com", nil)
	rs := rrset("a.example.com", "A", 60, "192.0.2.1")
	rs.SetIdentifier, rs.CidrRoutingConfig = ptr.To("tokyo"), &route53api.CidrRoutingConfig{CollectionId: ptr.To(id), LocationName: ptr.To("tokyo")}
	if err := f.change(z, ch("CREATE", rs)); err != nil {
		t.Fatal(err)
	}
	_, err = f.ChangeCidrCollection(f.ctx, &route53api.ChangeCidrCollectionInput{Id: ptr.To(id),
		Changes: []route53api.CidrCollectionChange{{LocationName: ptr.To("tokyo"), Action: ptr.To("DELETE_IF_EXISTS"), CidrList: []string{"192.0.2.0/24", "2001:db8::/48"}}}})
	wantErr(t, err, "CidrBlockInUseException", "The CIDR blocks of location tokyo are in use by a resource record set.")
	_, err = f.DeleteCidrCollection(f.ctx, &route53api.DeleteCidrCollectionInput{Id: ptr.To(id)})
	wantErr(t, err, "CidrCollectionInUseException", "This CIDR collection is in use, and isn't empty.")
	list, err := f.ListCidrCollections(f.ctx, &route53api.ListCidrCollectionsInput{})
	if err != nil || len(list.CidrCollections) != 1 || *list.CidrCollections[0].Version != 3 {
		t.Fatalf("collections %+v %v", list, err)
	}
	_, err = f.ListCidrLocations(f.ctx, &route53api.ListCidrLocationsInput{CollectionId: ptr.To("nope")})
	wantErr(t, err, "NoSuchCidrCollectionException", "The CIDR collection you specified, doesn't exist.")
}

// TestCidrRoutingAnswers: IP-based record sets answer by the collection's
// blocks; TestDNSAnswer takes the client subnet (or resolver) address.
func TestCidrRoutingAnswers(t *testing.T) {
	f := newFixture(t)
	c, err := f.CreateCidrCollection(f.ctx, &route53api.CreateCidrCollectionInput{Name: ptr.To("nets"), CallerReference: ptr.To("c")})
	if err != nil {
		t.Fatal(err)
	}
	id := *c.Collection.Id
	if _, err := f.ChangeCidrCollection(f.ctx, &route53api.ChangeCidrCollectionInput{Id: ptr.To(id), Changes: []route53api.CidrCollectionChange{
		{LocationName: ptr.To("office"), Action: ptr.To("PUT"), CidrList: []string{"10.1.0.0/16"}}}}); err != nil {
		t.Fatal(err)
	}
	z := f.zone("example.com", nil)
	set := func(loc, v string) route53api.Change {
		rs := rrset("app.example.com", "A", 60, v)
		rs.SetIdentifier, rs.CidrRoutingConfig = ptr.To(loc), &route53api.CidrRoutingConfig{CollectionId: ptr.To(id), LocationName: ptr.To(loc)}
		return ch("CREATE", rs)
	}
	if err := f.change(z, set("office", "192.0.2.1"), set("*", "192.0.2.9")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ecs, resolver *string
		want          string
	}{
		{ptr.To("10.1.4.5"), nil, "192.0.2.1"},
		{nil, ptr.To("10.1.0.53"), "192.0.2.1"},
		{ptr.To("203.0.113.7"), ptr.To("10.1.0.53"), "192.0.2.9"},
		{nil, nil, "192.0.2.9"},
	} {
		out, err := f.TestDNSAnswer(f.ctx, &route53api.TestDNSAnswerInput{HostedZoneId: ptr.To(z), RecordName: ptr.To("app.example.com"), RecordType: ptr.To("A"), EDNS0ClientSubnetIP: c.ecs, ResolverIP: c.resolver})
		if err != nil || len(out.RecordData) != 1 || out.RecordData[0] != c.want {
			t.Fatalf("ecs %v resolver %v: %+v %v", ptr.Deref(c.ecs), ptr.Deref(c.resolver), out, err)
		}
	}
}
