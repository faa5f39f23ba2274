package route53

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// setKey is a record set's key parts: zone id, reversed name, type, set
// identifier.
func setKey(zoneID string, rs route53api.ResourceRecordSet) []string {
	return []string{zoneID, reverse(ptr.Deref(rs.Name)), ptr.Deref(rs.Type), ptr.Deref(rs.SetIdentifier)}
}

// describe names a record set in Route53's change-batch messages.
func describe(rs route53api.ResourceRecordSet) string {
	d := fmt.Sprintf("[name='%s', type='%s'", outName(ptr.Deref(rs.Name)), ptr.Deref(rs.Type))
	if rs.SetIdentifier != nil {
		d += fmt.Sprintf(", set-identifier='%s'", *rs.SetIdentifier)
	}
	return d + "]"
}

// batchErrors collects the per-change messages of a rejected batch; Route53
// answers them together as "[m1, m2]".
type batchErrors []string

func (b batchErrors) err() error {
	if len(b) == 0 {
		return nil
	}
	return route53api.ErrInvalidChangeBatch.New("[%s]", strings.Join(b, ", ")).With("messages", []string(b))
}

func changeBatch(format string, args ...any) error {
	return route53api.ErrInvalidChangeBatch.New(format, args...)
}

// normalize checks one change's record set on its own (before looking at
// the zone) and returns it with its name normalized.
func normalize(action string, in route53api.ResourceRecordSet, zone string) (route53api.ResourceRecordSet, error) {
	rs := in
	name := normName(ptr.Deref(in.Name))
	rs.Name = &name
	typ := ptr.Deref(rs.Type)
	if msg, at := badName(name); msg != "" {
		if at == "" {
			at = ptr.Deref(in.Name)
		}
		return rs, changeBatch("[FATAL problem: %s encountered with '%s']", msg, at)
	}
	if !inZone(name, zone) {
		return rs, changeBatch("[RRSet with DNS name %s is not permitted in zone %s]", outName(name), outName(zone))
	}
	hasRecords := rs.TTL != nil || len(rs.ResourceRecords) > 0
	if (rs.AliasTarget != nil) == hasRecords || (hasRecords && (rs.TTL == nil || len(rs.ResourceRecords) == 0)) {
		setID := "null"
		if rs.SetIdentifier != nil {
			setID = *rs.SetIdentifier
		}
		found := "none"
		if rs.AliasTarget != nil && hasRecords {
			found = "both"
		}
		return rs, invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found %s in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]",
			found, action, ptr.Deref(in.Name), typ, setID)
	}
	if rs.TTL != nil && *rs.TTL < 0 {
		return rs, invalidInput("1 validation error detected: Value '%d' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value greater than or equal to 0", *rs.TTL)
	}
	if rs.TTL != nil && *rs.TTL > 2147483647 {
		return rs, invalidInput("1 validation error detected: Value '%d' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value less than or equal to 2147483647", *rs.TTL)
	}
	policies := 0
	for _, set := range []bool{rs.Weight != nil, rs.Region != nil, rs.Failover != nil, rs.GeoLocation != nil, rs.MultiValueAnswer != nil, rs.CidrRoutingConfig != nil, rs.GeoProximityLocation != nil} {
		if set {
			policies++
		}
	}
	if policies > 1 {
		return rs, invalidInput("Invalid request: Only one routing policy may be specified per resource record set")
	}
	if policies == 1 && rs.SetIdentifier == nil {
		return rs, invalidInput("Invalid request: Missing field 'SetIdentifier' in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=null]", action, outName(name), typ)
	}
	if policies == 0 && rs.SetIdentifier != nil {
		return rs, invalidInput("Invalid request: Missing field 'Weight', 'Region', 'Failover', 'GeoLocation', 'MultiValueAnswer' or 'CidrRoutingConfig' in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]", action, outName(name), typ, *rs.SetIdentifier)
	}
	if rs.AliasTarget != nil {
		t := normName(ptr.Deref(rs.AliasTarget.DNSName))
		rs.AliasTarget = &route53api.AliasTarget{HostedZoneId: ptr.To(bareID(ptr.Deref(rs.AliasTarget.HostedZoneId))), DNSName: &t, EvaluateTargetHealth: rs.AliasTarget.EvaluateTargetHealth}
		return rs, nil
	}
	if typ == "CNAME" && len(rs.ResourceRecords) > 1 {
		return rs, changeBatch("[RRSet of type CNAME with DNS name %s contains more than one record]", outName(name))
	}
	if typ == "SOA" && len(rs.ResourceRecords) != 1 {
		return rs, changeBatch("[A HostedZone must contain exactly one SOA record.]")
	}
	records := make([]route53api.ResourceRecord, len(rs.ResourceRecords))
	for i, r := range rs.ResourceRecords {
		v := strings.TrimSpace(ptr.Deref(r.Value))
		if msg := badValue(typ, v); msg != "" {
			return rs, changeBatch("[Invalid Resource Record: 'FATAL problem: %s encountered with '%s'']", msg, v)
		}
		records[i] = route53api.ResourceRecord{Value: &v}
	}
	rs.ResourceRecords = records
	// A value given twice is refused, one message per repeat (Route53
	// compares names case-insensitively, text as it is).
	var dups batchErrors
	seen := map[string]bool{}
	for i, v := range values(rs) {
		if seen[v] {
			dups = append(dups, fmt.Sprintf("Duplicate Resource Record: '%s'", ptr.Deref(rs.ResourceRecords[i].Value)))
		}
		seen[v] = true
	}
	return rs, dups.err()
}

// badValue returns Route53's name for what is wrong with a value, or "".
func badValue(typ, v string) string {
	switch typ {
	case "A":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			return "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)"
		}
		return ""
	case "AAAA":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is6() || a.Is4In6() {
			return "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
		}
		return ""
	case "TXT", "SPF":
		if !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) || len(v) < 2 {
			return "InvalidCharacterString (Value should be enclosed in quotation marks)"
		}
		strs, ok := characterStrings(v)
		if !ok {
			return "InvalidCharacterString (Value should be enclosed in quotation marks)"
		}
		for _, s := range strs {
			if len(s) > 255 {
				return "CharacterStringTooLong (Value is too long)"
			}
		}
	case "MX":
		f := strings.Fields(v)
		if len(f) != 2 {
			return "MXRRDATANotTwoFields (Value should contain a priority and a domain name)"
		}
	}
	if err := dns.ValidValue(typ, v); err != nil {
		return fmt.Sprintf("%sRRDATAIllegal (Value is not valid for a %s record)", typ, typ)
	}
	return ""
}

// Route53's limits on one ChangeResourceRecordSets request and on a zone
// (Route53 developer guide, "Quotas"): ResourceRecord elements and the
// characters of their values in a request, where an UPSERT counts twice,
// and record sets in a hosted zone (the default quota).
const (
	maxRecordsPerBatch = 1000
	maxRDataPerBatch   = 32000
	maxRRSetsPerZone   = 10000
)

// batchLimits checks a change batch against the per-request quotas.
func batchLimits(changes []route53api.Change) error {
	records, chars := 0, 0
	for _, c := range changes {
		if c.ResourceRecordSet == nil {
			continue
		}
		weight := 1
		if ptr.Deref(c.Action) == "UPSERT" {
			weight = 2
		}
		for _, r := range c.ResourceRecordSet.ResourceRecords {
			records += weight
			chars += weight * len(ptr.Deref(r.Value))
		}
	}
	if records > maxRecordsPerBatch {
		return changeBatch("[Number of records limit of %d exceeded.]", maxRecordsPerBatch)
	}
	if chars > maxRDataPerBatch {
		return changeBatch("[RDATA character limit of %d exceeded.]", maxRDataPerBatch)
	}
	return nil
}

// badName returns Route53's name for what is wrong with a record set's
// (normalized) name, and the text it names when that is not the whole
// name, or "": a character that must be escaped, an empty label, a label
// longer than 63 octets or a name longer than 255 (DNS's limits, RFC
// 1035 2.3.4; an escape \DDD or \X is one octet).
func badName(name string) (msg, at string) {
	if c, bad := unsupportedChar(name); bad {
		return "UnsupportedCharacter (Value contains unsupported characters)", c
	}
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return "", "" // the root
	}
	octets := 1
	label := 0
	for i := 0; i <= len(n); i++ {
		if i == len(n) || n[i] == '.' {
			if label == 0 {
				return "DomainLabelEmpty (Domain label is empty)", ""
			}
			if label > 63 {
				return "DomainLabelTooLong (Domain label is too long)", ""
			}
			octets += label + 1
			label = 0
			continue
		}
		if n[i] == '\\' {
			if i+3 < len(n) && isDigit(n[i+1]) && isDigit(n[i+2]) && isDigit(n[i+3]) {
				i += 3
			} else {
				i++
			}
		}
		label++
	}
	if octets > 255 {
		return "DomainNameTooLong (Domain name is too long)", ""
	}
	return "", ""
}

// unsupportedChar finds the first character a DNS name may not hold
// unescaped (Route53's domain name format: space, other control
// characters and DEL must be written as \DDD). Non-ASCII text is left
// to the lookup, which finds nothing by it.
func unsupportedChar(name string) (string, bool) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '\\' {
			i++ // the escaped character is the user's choice
			continue
		}
		if c <= ' ' || c == 0x7f {
			return string(rune(c)), true
		}
	}
	return "", false
}

// characterStrings splits a TXT value into its <character-string>s
// (RFC 1035 3.3): quoted strings separated by spaces, where \" and \\
// stand for themselves and \DDD for the byte DDD. ok is false for a
// value that is not a sequence of quoted strings.
func characterStrings(v string) (out []string, ok bool) {
	for i := 0; i < len(v); {
		if v[i] == ' ' || v[i] == '\t' {
			i++
			continue
		}
		if v[i] != '"' {
			return nil, false
		}
		var b strings.Builder
		for i++; ; i++ {
			if i >= len(v) {
				return nil, false // unterminated
			}
			c := v[i]
			if c == '"' {
				i++
				break
			}
			if c == '\\' && i+1 < len(v) {
				if i+3 < len(v) && isDigit(v[i+1]) && isDigit(v[i+2]) && isDigit(v[i+3]) {
					b.WriteByte(byte((int(v[i+1]-'0')*100 + int(v[i+2]-'0')*10 + int(v[i+3]-'0')) & 0xff))
					i += 3
					continue
				}
				i++
				c = v[i]
			}
			b.WriteByte(c)
		}
		out = append(out, b.String())
	}
	return out, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// routingPolicy names a record set's routing policy as Route 53's
// messages do ("" for a simple record set).
func routingPolicy(rs route53api.ResourceRecordSet) string {
	switch {
	case rs.Weight != nil:
		return "weighted"
	case rs.Region != nil:
		return "latency"
	case rs.Failover != nil:
		return "failover"
	case rs.GeoLocation != nil:
		return "geolocation"
	case rs.MultiValueAnswer != nil:
		return "multivalue"
	case rs.CidrRoutingConfig != nil:
		return "cidr"
	case rs.GeoProximityLocation != nil:
		return "geoproximity"
	}
	return ""
}

// sameValues compares a DELETE's record set with the stored one.
func sameValues(a, b route53api.ResourceRecordSet) bool {
	if (a.AliasTarget == nil) != (b.AliasTarget == nil) {
		return false
	}
	if a.AliasTarget != nil {
		return strings.EqualFold(ptr.Deref(a.AliasTarget.DNSName), ptr.Deref(b.AliasTarget.DNSName)) &&
			bareID(ptr.Deref(a.AliasTarget.HostedZoneId)) == bareID(ptr.Deref(b.AliasTarget.HostedZoneId))
	}
	if a.TTL == nil || b.TTL == nil || *a.TTL != *b.TTL || len(a.ResourceRecords) != len(b.ResourceRecords) {
		return false
	}
	av, bv := values(a), values(b)
	slices.Sort(av)
	slices.Sort(bv)
	if !slices.Equal(av, bv) {
		return false
	}
	eq := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return eq(a.Weight, b.Weight) && ptr.Deref(a.Region) == ptr.Deref(b.Region) && ptr.Deref(a.Failover) == ptr.Deref(b.Failover)
}

func values(rs route53api.ResourceRecordSet) []string {
	out := make([]string, len(rs.ResourceRecords))
	for i, r := range rs.ResourceRecords {
		out[i] = ptr.Deref(r.Value)
		if ptr.Deref(rs.Type) != "TXT" && ptr.Deref(rs.Type) != "SPF" {
			out[i] = strings.ToLower(out[i])
		}
	}
	return out
}

// ChangeResourceRecordSets applies a batch atomically: every change is
// checked against the zone as the earlier changes of the batch leave it,
// and either all apply or none does.
func (s *Route53) ChangeResourceRecordSets(ctx *request.Context, in *route53api.ChangeResourceRecordSetsInput) (*route53api.ChangeResourceRecordSetsOutput, error) {
	sc := scope(ctx)
	out := &route53api.ChangeResourceRecordSetsOutput{}
	err := s.store.Update(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		if in.ChangeBatch == nil || len(in.ChangeBatch.Changes) == 0 {
			return invalidInput("1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1")
		}
		if err := batchLimits(in.ChangeBatch.Changes); err != nil {
			return err
		}
		var errs batchErrors
		count := z.RecordCount
		for _, c := range in.ChangeBatch.Changes {
			action := ptr.Deref(c.Action)
			if c.ResourceRecordSet == nil {
				return invalidInput("Invalid request: Missing field 'ResourceRecordSet'")
			}
			rs, err := normalize(action, *c.ResourceRecordSet, z.Name)
			if err != nil {
				return err
			}
			name, typ := ptr.Deref(rs.Name), ptr.Deref(rs.Type)
			key := setKey(z.ID, rs)
			old, exists, err := rrsets.Get(tx, sc, key...)
			if err != nil {
				return err
			}
			if action == "DELETE" {
				switch {
				case !exists:
					errs = append(errs, fmt.Sprintf("Tried to delete resource record set %s but it was not found", describe(rs)))
				case !sameValues(rs, old):
					errs = append(errs, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", describe(rs)))
				case name == z.Name && typ == "SOA":
					return changeBatch("[A HostedZone must contain exactly one SOA record.]")
				case name == z.Name && typ == "NS":
					return changeBatch("[A HostedZone must contain at least one NS record for the zone itself.]")
				default:
					if err := rrsets.Delete(tx, sc, key...); err != nil {
						return err
					}
					count--
				}
				continue
			}
			if action == "CREATE" && exists {
				errs = append(errs, fmt.Sprintf("Tried to create resource record set %s but it already exists", describe(rs)))
				continue
			}
			if typ == "CNAME" && name == z.Name {
				return changeBatch("[RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s]", outName(name), outName(z.Name))
			}
			if (typ == "SOA" || (typ == "NS" && name == z.Name)) && !exists {
				return changeBatch("[A HostedZone must contain exactly one SOA record.]")
			}
			// CNAME exclusivity: a CNAME shares its name with no other
			// type (set identifiers aside).
			conflict, otherPolicy := "", ""
			err = rrsets.List(tx, sc, []string{z.ID, reverse(name)}, storage.ListOptions{}, func(_ []string, other route53api.ResourceRecordSet) bool {
				ot := ptr.Deref(other.Type)
				if (typ == "CNAME") != (ot == "CNAME") {
					conflict = ot
					return false
				}
				// Record sets of one name and type share one routing
				// policy (a simple one stands alone).
				if ot == typ && ptr.Deref(other.SetIdentifier) != ptr.Deref(rs.SetIdentifier) && routingPolicy(other) != routingPolicy(rs) {
					otherPolicy = routingPolicy(other)
					if otherPolicy == "" {
						otherPolicy = "simple"
					}
					return false
				}
				return true
			})
			if err != nil {
				return err
			}
			if conflict != "" {
				if typ == "CNAME" {
					return changeBatch("RRSet of type CNAME with DNS name %s is not permitted as it conflicts with other records with the same DNS name in zone %s", outName(name), outName(z.Name))
				}
				return changeBatch("RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone %s", typ, outName(name), outName(z.Name))
			}
			if otherPolicy != "" {
				if p := routingPolicy(rs); p == "" {
					errs = append(errs, fmt.Sprintf("RRSet with DNS name %s, type %s cannot be created as %s sets exist with the same name and type.", outName(name), typ, otherPolicy))
				} else {
					errs = append(errs, fmt.Sprintf("RRSet with DNS name %s, type %s, SetIdentifier %s cannot be created as a non-%s set exists with the same name and type.", outName(name), typ, ptr.Deref(rs.SetIdentifier), p))
				}
				continue
			}
			if err := rrsets.Put(tx, sc, rs, key...); err != nil {
				return err
			}
			if !exists {
				count++
			}
		}
		if err := errs.err(); err != nil {
			return err
		}
		if count > maxRRSetsPerZone && count > z.RecordCount {
			return changeBatch("[Exceeded limit MAX_RRSETS_BY_ZONE for zone: %s]", z.ID)
		}
		z.RecordCount = count
		if err := zones.Put(tx, sc, z, z.ID); err != nil {
			return err
		}
		out.ChangeInfo, err = s.newChange(ctx, tx, in.ChangeBatch.Comment)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListResourceRecordSets lists a zone's record sets in Route53's order
// (name with the labels reversed, then type, then set identifier),
// starting at StartRecordName/Type/Identifier.
func (s *Route53) ListResourceRecordSets(ctx *request.Context, in *route53api.ListResourceRecordSetsInput) (*route53api.ListResourceRecordSetsOutput, error) {
	max, err := maxItems(in.MaxItems, 300)
	if err != nil {
		return nil, err
	}
	if in.StartRecordType != nil && in.StartRecordName == nil {
		return nil, invalidInput("The input is not valid. StartRecordType requires StartRecordName.")
	}
	if in.StartRecordIdentifier != nil && in.StartRecordType == nil {
		return nil, invalidInput("The input is not valid. StartRecordIdentifier requires StartRecordType.")
	}
	if in.StartRecordName != nil {
		if c, bad := unsupportedChar(*in.StartRecordName); bad {
			return nil, invalidInput("FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with '%s'", c)
		}
	}
	sc := scope(ctx)
	out := &route53api.ListResourceRecordSetsOutput{ResourceRecordSets: []route53api.ResourceRecordSet{}, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false)}
	err = s.store.View(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		start := []string{}
		if in.StartRecordName != nil {
			start = append(start, reverse(normName(*in.StartRecordName)))
			if in.StartRecordType != nil {
				start = append(start, *in.StartRecordType)
				if in.StartRecordIdentifier != nil {
					start = append(start, *in.StartRecordIdentifier)
				}
			}
		}
		return rrsets.List(tx, sc, []string{z.ID}, storage.ListOptions{}, func(k []string, rs route53api.ResourceRecordSet) bool {
			if slices.Compare(k[1:1+len(start)], start) < 0 {
				return true
			}
			if len(out.ResourceRecordSets) == max {
				out.IsTruncated = ptr.To(true)
				out.NextRecordName, out.NextRecordType = ptr.To(outName(ptr.Deref(rs.Name))), rs.Type
				out.NextRecordIdentifier = rs.SetIdentifier
				return false
			}
			if rs.AliasTarget != nil {
				rs.AliasTarget.DNSName = ptr.To(outName(ptr.Deref(rs.AliasTarget.DNSName)))
			}
			rs.Name = ptr.To(outName(ptr.Deref(rs.Name)))
			out.ResourceRecordSets = append(out.ResourceRecordSets, rs)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TestDNSAnswer answers from the same resolver the DNS server uses.
func (s *Route53) TestDNSAnswer(ctx *request.Context, in *route53api.TestDNSAnswerInput) (*route53api.TestDNSAnswerOutput, error) {
	var z zoneRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		z, err = getZone(tx, scope(ctx), ptr.Deref(in.HostedZoneId))
		return err
	})
	if err != nil {
		return nil, err
	}
	name := normName(ptr.Deref(in.RecordName))
	qtype, ok := mdns.StringToType[ptr.Deref(in.RecordType)]
	if !ok {
		return nil, invalidInput("Invalid record type: %s", ptr.Deref(in.RecordType))
	}
	vpc := ""
	if z.Private && len(z.VPCs) > 0 {
		vpc = z.VPCs[0].ID
	}
	// IP-based routing sees the client subnet, else the resolver.
	var from netip.Addr
	for _, raw := range []*string{in.EDNS0ClientSubnetIP, in.ResolverIP} {
		if a, err := netip.ParseAddr(ptr.Deref(raw)); err == nil {
			from = a.Unmap()
			break
		}
	}
	m, err := s.resolver.AnswerFrom(mdns.Question{Name: name, Qtype: qtype, Qclass: mdns.ClassINET}, vpc, from)
	if err != nil {
		return nil, err
	}
	out := &route53api.TestDNSAnswerOutput{
		Nameserver: ptr.To("ns-0.awsdns-00.com"), RecordName: ptr.To(name), RecordType: in.RecordType,
		RecordData: []string{}, ResponseCode: ptr.To(mdns.RcodeToString[m.Rcode]), Protocol: ptr.To("UDP"),
	}
	if len(z.NameServers) > 0 {
		out.Nameserver = ptr.To(z.NameServers[0])
	}
	for _, rr := range m.Answer {
		if rr.Header().Rrtype != qtype {
			continue
		}
		full := rr.String()
		hdr := rr.Header().String()
		out.RecordData = append(out.RecordData, strings.TrimPrefix(full, hdr))
	}
	return out, nil
}
