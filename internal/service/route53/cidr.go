package route53

import (
	"net/netip"
	"slices"
	"time"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// CIDR collections: named sets of locations, each a list of CIDR blocks,
// that IP-based (CidrRoutingConfig) record sets refer to. Changes are
// versioned: ChangeCidrCollection may name the version it expects.

type cidrCollectionRec struct {
	ID              string
	Name            string
	CallerReference string
	Version         int64
	// Locations maps a location name to its blocks (canonical form, in
	// the order first added).
	Locations map[string][]string
	Created   time.Time
}

var (
	cidrCollections = storage.NewTable[cidrCollectionRec]("cidr-collections")
	cidrCallerRefs  = storage.NewTable[string]("cidr-collection-caller-refs")
)

var (
	cidrNamePattern     = lazyre.New(`^[0-9A-Za-z_\-]{1,64}$`)
	cidrLocationPattern = lazyre.New(`^[0-9A-Za-z_\-]{1,16}$`)
)

// maxCidrBlocks is Route 53's quota of blocks in one collection.
const maxCidrBlocks = 1000

func cidrARN(id string) string { return "arn:aws:route53:::cidrcollection/" + id }

func noSuchCidrCollection() error {
	return route53api.ErrNoSuchCidrCollectionException.New("The CIDR collection you specified, doesn't exist.")
}

func getCidrCollection(tx storage.Tx, sc storage.Scope, id string) (cidrCollectionRec, error) {
	c, ok, err := cidrCollections.Get(tx, sc, id)
	if err == nil && !ok {
		err = noSuchCidrCollection()
	}
	return c, err
}

// CreateCidrCollection creates an empty collection.
func (s *Route53) CreateCidrCollection(ctx *request.Context, in *route53api.CreateCidrCollectionInput) (*route53api.CreateCidrCollectionOutput, error) {
	name := ptr.Deref(in.Name)
	if !cidrNamePattern.MatchString(name) {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9A-Za-z_\\-]+", name)
	}
	sc := scope(ctx)
	var c cidrCollectionRec
	err := s.store.Update(func(tx storage.Tx) error {
		ref := ptr.Deref(in.CallerReference)
		if id, dup, err := cidrCallerRefs.Get(tx, sc, ref); err != nil {
			return err
		} else if dup {
			if old, ok, err := cidrCollections.Get(tx, sc, id); err != nil {
				return err
			} else if ok && old.Name == name {
				c = old
				return nil
			}
			return route53api.ErrCidrCollectionAlreadyExistsException.New("A CIDR collection with the same caller reference already exists.")
		}
		taken := false
		if err := cidrCollections.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o cidrCollectionRec) bool {
			taken = o.Name == name
			return !taken
		}); err != nil {
			return err
		}
		if taken {
			return route53api.ErrCidrCollectionAlreadyExistsException.New("A CIDR collection with the name %s already exists.", name)
		}
		c = cidrCollectionRec{ID: awsid.UUID(), Name: name, CallerReference: ref, Version: 1, Locations: map[string][]string{}, Created: ctx.Now()}
		if err := cidrCallerRefs.Put(tx, sc, c.ID, ref); err != nil {
			return err
		}
		return cidrCollections.Put(tx, sc, c, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.CreateCidrCollectionOutput{
		Collection: &route53api.CidrCollection{Arn: ptr.To(cidrARN(c.ID)), Id: ptr.To(c.ID), Name: ptr.To(c.Name), Version: ptr.To(c.Version)},
		Location:   ptr.To("https://route53.amazonaws.com/2013-04-01/cidrcollection/" + c.ID),
	}, nil
}

// cidrInUse reports whether a record set routes by collection id (and
// location, when loc is not "").
func cidrInUse(tx storage.Tx, sc storage.Scope, id, loc string) (bool, error) {
	used := false
	err := rrsets.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, rs route53api.ResourceRecordSet) bool {
		if r := rs.CidrRoutingConfig; r != nil && ptr.Deref(r.CollectionId) == id && (loc == "" || ptr.Deref(r.LocationName) == loc) {
			used = true
		}
		return !used
	})
	return used, err
}

// ChangeCidrCollection puts blocks into locations and deletes them
// (DELETE_IF_EXISTS); a location left without blocks goes away, which a
// record set still routing to it forbids.
func (s *Route53) ChangeCidrCollection(ctx *request.Context, in *route53api.ChangeCidrCollectionInput) (*route53api.ChangeCidrCollectionOutput, error) {
	sc := scope(ctx)
	id := ptr.Deref(in.Id)
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := getCidrCollection(tx, sc, id)
		if err != nil {
			return err
		}
		if in.CollectionVersion != nil && *in.CollectionVersion != c.Version {
			return route53api.ErrCidrCollectionVersionMismatchException.New("The CIDR collection version you provided, doesn't match the one in the ListCidrCollections operation.")
		}
		for _, ch := range in.Changes {
			loc := ptr.Deref(ch.LocationName)
			if !cidrLocationPattern.MatchString(loc) {
				return invalidInput("1 validation error detected: Value '%s' at 'changes.member.locationName' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9A-Za-z_\\-]+", loc)
			}
			blocks := make([]string, 0, len(ch.CidrList))
			for _, raw := range ch.CidrList {
				p, err := netip.ParsePrefix(raw)
				if err != nil || p.Masked() != p || (p.Addr().Is4() && p.Bits() > 24) || (p.Addr().Is6() && p.Bits() > 48) {
					return route53api.ErrInvalidInput.New("Invalid CIDR block: %s", raw)
				}
				blocks = append(blocks, p.String())
			}
			switch ptr.Deref(ch.Action) {
			case "PUT":
				for _, b := range blocks {
					for other, list := range c.Locations {
						if other != loc && slices.Contains(list, b) {
							return route53api.ErrCidrBlockInUseException.New("The CIDR block %s is already in use in location %s.", b, other)
						}
					}
					if !slices.Contains(c.Locations[loc], b) {
						c.Locations[loc] = append(c.Locations[loc], b)
					}
				}
			case "DELETE_IF_EXISTS":
				list := slices.DeleteFunc(c.Locations[loc], func(b string) bool { return slices.Contains(blocks, b) })
				if len(list) == 0 {
					if used, err := cidrInUse(tx, sc, c.ID, loc); err != nil {
						return err
					} else if used {
						return route53api.ErrCidrBlockInUseException.New("The CIDR blocks of location %s are in use by a resource record set.", loc)
					}
					delete(c.Locations, loc)
				} else {
					c.Locations[loc] = list
				}
			default:
				return invalidInput("1 validation error detected: Value '%s' at 'changes.member.action' failed to satisfy constraint: Member must satisfy enum value set: [PUT, DELETE_IF_EXISTS]", ptr.Deref(ch.Action))
			}
		}
		n := 0
		for _, list := range c.Locations {
			n += len(list)
		}
		if n > maxCidrBlocks {
			return route53api.ErrLimitsExceeded.New("The limit of %d CIDR blocks per collection has been exceeded.", maxCidrBlocks)
		}
		c.Version++
		return cidrCollections.Put(tx, sc, c, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.ChangeCidrCollectionOutput{Id: ptr.To(id)}, nil
}

// DeleteCidrCollection deletes an empty collection no record set uses.
func (s *Route53) DeleteCidrCollection(ctx *request.Context, in *route53api.DeleteCidrCollectionInput) (*route53api.DeleteCidrCollectionOutput, error) {
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := getCidrCollection(tx, sc, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		used, err := cidrInUse(tx, sc, c.ID, "")
		if err != nil {
			return err
		}
		if used || len(c.Locations) > 0 {
			return route53api.ErrCidrCollectionInUseException.New("This CIDR collection is in use, and isn't empty.")
		}
		return cidrCollections.Delete(tx, sc, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteCidrCollectionOutput{}, nil
}

// ListCidrCollections lists the account's collections by id.
func (s *Route53) ListCidrCollections(ctx *request.Context, in *route53api.ListCidrCollectionsInput) (*route53api.ListCidrCollectionsOutput, error) {
	max, err := maxItems(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out := &route53api.ListCidrCollectionsOutput{CidrCollections: []route53api.CollectionSummary{}}
	err = s.store.View(func(tx storage.Tx) error {
		return cidrCollections.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, c cidrCollectionRec) bool {
			if in.NextToken != nil && c.ID < *in.NextToken {
				return true
			}
			if len(out.CidrCollections) == max {
				out.NextToken = ptr.To(c.ID)
				return false
			}
			out.CidrCollections = append(out.CidrCollections, route53api.CollectionSummary{Arn: ptr.To(cidrARN(c.ID)), Id: ptr.To(c.ID), Name: ptr.To(c.Name), Version: ptr.To(c.Version)})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Route53) cidrCollection(ctx *request.Context, id string) (cidrCollectionRec, error) {
	var c cidrCollectionRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		c, err = getCidrCollection(tx, scope(ctx), id)
		return err
	})
	return c, err
}

// ListCidrLocations lists a collection's location names in order.
func (s *Route53) ListCidrLocations(ctx *request.Context, in *route53api.ListCidrLocationsInput) (*route53api.ListCidrLocationsOutput, error) {
	max, err := maxItems(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	c, err := s.cidrCollection(ctx, ptr.Deref(in.CollectionId))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(c.Locations))
	for n := range c.Locations {
		names = append(names, n)
	}
	slices.Sort(names)
	out := &route53api.ListCidrLocationsOutput{CidrLocations: []route53api.LocationSummary{}}
	for _, n := range names {
		if in.NextToken != nil && n < *in.NextToken {
			continue
		}
		if len(out.CidrLocations) == max {
			out.NextToken = ptr.To(n)
			break
		}
		out.CidrLocations = append(out.CidrLocations, route53api.LocationSummary{LocationName: ptr.To(n)})
	}
	return out, nil
}

// ListCidrBlocks lists a collection's blocks (of one location, when
// named), by location then block.
func (s *Route53) ListCidrBlocks(ctx *request.Context, in *route53api.ListCidrBlocksInput) (*route53api.ListCidrBlocksOutput, error) {
	max, err := maxItems(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	c, err := s.cidrCollection(ctx, ptr.Deref(in.CollectionId))
	if err != nil {
		return nil, err
	}
	if in.LocationName != nil {
		if _, ok := c.Locations[*in.LocationName]; !ok {
			return nil, route53api.ErrNoSuchCidrLocationException.New("The CIDR collection location doesn't match any locations in your account.")
		}
	}
	type block struct{ loc, cidr string }
	var all []block
	for loc, list := range c.Locations {
		if in.LocationName != nil && loc != *in.LocationName {
			continue
		}
		for _, b := range list {
			all = append(all, block{loc, b})
		}
	}
	slices.SortFunc(all, func(a, b block) int {
		if a.loc != b.loc {
			if a.loc < b.loc {
				return -1
			}
			return 1
		}
		switch {
		case a.cidr < b.cidr:
			return -1
		case a.cidr > b.cidr:
			return 1
		}
		return 0
	})
	out := &route53api.ListCidrBlocksOutput{CidrBlocks: []route53api.CidrBlockSummary{}}
	for _, b := range all {
		token := b.loc + "/" + b.cidr
		if in.NextToken != nil && token < *in.NextToken {
			continue
		}
		if len(out.CidrBlocks) == max {
			out.NextToken = ptr.To(token)
			break
		}
		out.CidrBlocks = append(out.CidrBlocks, route53api.CidrBlockSummary{CidrBlock: ptr.To(b.cidr), LocationName: ptr.To(b.loc)})
	}
	return out, nil
}
