package cloudtrail

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// histRecord is one stored record: its JSON as the audit hook built it,
// and the fields lookups and selectors read.
type histRecord struct {
	Time        time.Time       `json:"t"`
	EventID     string          `json:"id"`
	Name        string          `json:"n"`
	Source      string          `json:"s"`
	Username    string          `json:"u,omitempty"`
	AccessKeyID string          `json:"k,omitempty"`
	UserARN     string          `json:"ua,omitempty"`
	ReadOnly    bool            `json:"ro,omitempty"`
	Management  bool            `json:"m,omitempty"`
	Global      bool            `json:"g,omitempty"`
	EventType   string          `json:"et,omitempty"`
	ErrorCode   string          `json:"ec,omitempty"`
	Resources   []resource      `json:"r,omitempty"`
	Raw         json.RawMessage `json:"raw"`
}

// resource is a resource a record names, as LookupEvents shows it.
type resource struct {
	Type string `json:"t"`
	Name string `json:"n"`
	ARN  string `json:"a,omitempty"`
}

// fieldValues are the values of an advanced selector's field for r.
func (r *histRecord) fieldValues(field string) []string {
	switch field {
	case "eventCategory":
		if r.Management {
			return []string{"Management"}
		}
		return []string{"Data"}
	case "readOnly":
		return []string{fmt.Sprint(r.ReadOnly)}
	case "eventSource":
		return []string{r.Source}
	case "eventName":
		return []string{r.Name}
	case "eventType":
		return []string{r.EventType}
	case "userIdentity.arn":
		return []string{r.UserARN}
	case "errorCode":
		return []string{r.ErrorCode}
	case "resources.type", "resources.ARN":
		var out []string
		for _, res := range r.Resources {
			if field == "resources.type" {
				out = append(out, res.Type)
			} else if res.ARN != "" {
				out = append(out, res.ARN)
			}
		}
		return out
	}
	return []string{""}
}

// globalSources are the services CloudTrail treats as global service
// events (recorded in us-east-1; IncludeGlobalServiceEvents).
var globalSources = map[string]bool{
	"iam.amazonaws.com": true, "route53.amazonaws.com": true, "cloudfront.amazonaws.com": true,
	"organizations.amazonaws.com": true, "signin.amazonaws.com": true,
}

// wire is the part of a record's JSON CloudTrail reads.
type wire struct {
	EventTime       time.Time `json:"eventTime"`
	EventID         string    `json:"eventID"`
	EventName       string    `json:"eventName"`
	EventSource     string    `json:"eventSource"`
	ReadOnly        bool      `json:"readOnly"`
	ManagementEvent bool      `json:"managementEvent"`
	EventType       string    `json:"eventType"`
	ErrorCode       string    `json:"errorCode"`
	AWSRegion       string    `json:"awsRegion"`
	UserIdentity    struct {
		Type        string `json:"type"`
		ARN         string `json:"arn"`
		AccessKeyID string `json:"accessKeyId"`
		UserName    string `json:"userName"`
		InvokedBy   string `json:"invokedBy"`
	} `json:"userIdentity"`
	RequestParameters  map[string]any  `json:"requestParameters"`
	RecipientAccountID string          `json:"recipientAccountId"`
	Resources          json.RawMessage `json:"resources"`
}

// parse turns a record known only by its JSON into a histRecord. Its raw
// bytes are kept as the JSON form of the store kept them: compacted, with
// <, > and & escaped (what json.Marshal makes of a json.RawMessage).
func parse(raw []byte) (histRecord, error) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return histRecord{}, err
	}
	kept, err := json.Marshal(json.RawMessage(raw))
	if err != nil {
		return histRecord{}, err
	}
	u := &w.UserIdentity
	h := histRecord{Time: w.EventTime, EventID: w.EventID, Name: w.EventName, Source: w.EventSource,
		Username: username(u.Type, u.ARN, u.UserName, u.InvokedBy), AccessKeyID: u.AccessKeyID, UserARN: u.ARN,
		ReadOnly: w.ReadOnly, Management: w.ManagementEvent, Global: globalSources[w.EventSource], EventType: w.EventType,
		ErrorCode: w.ErrorCode, Raw: kept}
	h.Resources = resourcesOf(w.EventSource, w.AWSRegion, w.RecipientAccountID, w.RequestParameters)
	if !h.Management && w.Resources == nil {
		h.Raw = withResources(h.Raw, h.Resources, w.RecipientAccountID)
	}
	return h, nil
}

// fromFields is the histRecord of a record the audit hook built, from the
// fields it handed along with the record's JSON (raw, kept as it is:
// json.Marshal's output, compact and escaped).
func fromFields(f *events.RecordFields, e *events.Event, raw json.RawMessage) histRecord {
	h := histRecord{Time: f.Time, EventID: e.ID, Name: f.Name, Source: f.Source,
		Username: username(f.UserType, f.UserARN, f.UserName, f.InvokedBy), AccessKeyID: f.AccessKeyID, UserARN: f.UserARN,
		ReadOnly: f.ReadOnly, Management: f.Management, Global: globalSources[f.Source], EventType: f.EventType,
		ErrorCode: f.ErrorCode, Raw: raw}
	h.Resources = resourcesOf(f.Source, e.Region, e.Account, f.RequestParameters)
	if !h.Management {
		h.Raw = withResources(h.Raw, h.Resources, e.Account)
	}
	return h
}

// username is the Username LookupEvents shows for a userIdentity.
func username(typ, arn, userName, invokedBy string) string {
	switch typ {
	case "Root":
		return "root"
	case "IAMUser":
		return userName
	case "AssumedRole", "FederatedUser":
		return arn[strings.LastIndexByte(arn, '/')+1:]
	case "AWSService":
		return invokedBy
	}
	return ""
}

// recordResource is an element of a data event record's resources, as
// CloudTrail writes it.
type recordResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// withResources adds the resources element CloudTrail gives data events
// (the object and its bucket, the function) to a record's JSON.
func withResources(raw json.RawMessage, rs []resource, account string) json.RawMessage {
	var out []recordResource
	for _, r := range rs {
		if r.ARN == "" {
			continue
		}
		rr := recordResource{Type: r.Type, ARN: r.ARN}
		if r.Type != "AWS::S3::Object" {
			rr.AccountID = account
		}
		out = append(out, rr)
	}
	trimmed := bytes.TrimRight(raw, " \t\r\n")
	if len(out) == 0 || len(trimmed) < 2 || trimmed[len(trimmed)-1] != '}' {
		return raw
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Type == "AWS::S3::Object" && out[j].Type != "AWS::S3::Object" })
	b, err := json.Marshal(out)
	if err != nil {
		return raw
	}
	body := bytes.TrimRight(trimmed[:len(trimmed)-1], " \t\r\n")
	res := make(json.RawMessage, 0, len(trimmed)+len(b)+16)
	res = append(res, body...)
	if len(body) > 0 && body[len(body)-1] != '{' {
		res = append(res, ',')
	}
	res = append(res, `"resources":`...)
	res = append(res, b...)
	return append(res, '}')
}

// resourceMembers map request members to the resource types LookupEvents
// shows (ResourceType and ResourceName lookups): CloudTrail's knowledge
// of which member names which resource.
var resourceMembers = []struct {
	source, member, typ string
}{
	{"s3.amazonaws.com", "bucketName", "AWS::S3::Bucket"},
	{"iam.amazonaws.com", "roleName", "AWS::IAM::Role"},
	{"iam.amazonaws.com", "userName", "AWS::IAM::User"},
	{"iam.amazonaws.com", "groupName", "AWS::IAM::Group"},
	{"iam.amazonaws.com", "policyArn", "AWS::IAM::Policy"},
	{"iam.amazonaws.com", "instanceProfileName", "AWS::IAM::InstanceProfile"},
	{"sqs.amazonaws.com", "queueUrl", "AWS::SQS::Queue"},
	{"sqs.amazonaws.com", "queueName", "AWS::SQS::Queue"},
	{"sns.amazonaws.com", "topicArn", "AWS::SNS::Topic"},
	{"lambda.amazonaws.com", "functionName", "AWS::Lambda::Function"},
	{"dynamodb.amazonaws.com", "tableName", "AWS::DynamoDB::Table"},
	{"kms.amazonaws.com", "keyId", "AWS::KMS::Key"},
	{"logs.amazonaws.com", "logGroupName", "AWS::Logs::LogGroup"},
	{"secretsmanager.amazonaws.com", "secretId", "AWS::SecretsManager::Secret"},
	{"secretsmanager.amazonaws.com", "name", "AWS::SecretsManager::Secret"},
	{"ssm.amazonaws.com", "name", "AWS::SSM::Parameter"},
	{"cloudtrail.amazonaws.com", "name", "AWS::CloudTrail::Trail"},
	{"cloudtrail.amazonaws.com", "trailName", "AWS::CloudTrail::Trail"},
	{"events.amazonaws.com", "name", "AWS::Events::Rule"},
	{"ec2.amazonaws.com", "instanceId", "AWS::EC2::Instance"},
	{"ec2.amazonaws.com", "vpcId", "AWS::EC2::VPC"},
	{"ec2.amazonaws.com", "subnetId", "AWS::EC2::Subnet"},
	{"ec2.amazonaws.com", "groupId", "AWS::EC2::SecurityGroup"},
}

// resourcesOf lists the resources a call's request parameters name; S3
// object calls and Lambda calls also carry the ARN data event selectors
// match.
func resourcesOf(source, region, account string, params map[string]any) []resource {
	var out []resource
	for _, m := range resourceMembers {
		if m.source != source {
			continue
		}
		if v, ok := params[m.member].(string); ok && v != "" {
			out = append(out, resource{Type: m.typ, Name: asJSON(v)})
		}
	}
	switch source {
	case "s3.amazonaws.com":
		b, _ := params["bucketName"].(string)
		b = asJSON(b)
		if k, ok := params["key"].(string); ok && b != "" {
			k = asJSON(k)
			out = append(out, resource{Type: "AWS::S3::Object", Name: b + "/" + k, ARN: "arn:aws:s3:::" + b + "/" + k})
		}
		for i := range out {
			if out[i].Type == "AWS::S3::Bucket" {
				out[i].ARN = "arn:aws:s3:::" + out[i].Name
			}
		}
	case "lambda.amazonaws.com":
		for i := range out {
			if out[i].Type == "AWS::Lambda::Function" {
				n := out[i].Name
				if !strings.HasPrefix(n, "arn:") {
					n = "arn:aws:lambda:" + region + ":" + account + ":function:" + n
				}
				out[i].ARN = n
			}
		}
	case "dynamodb.amazonaws.com":
		for i := range out {
			if !strings.HasPrefix(out[i].Name, "arn:") {
				out[i].ARN = "arn:aws:dynamodb:" + region + ":" + account + ":table/" + out[i].Name
			}
		}
	}
	return out
}

// asJSON is s as a record's JSON holds it: json.Marshal writes each byte
// of s that is not UTF-8 as U+FFFD, so a record handed over with its
// fields names the resources a record read back from its JSON does.
func asJSON(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]rune, 0, len(s))
	for _, r := range s {
		b = append(b, r)
	}
	return string(b)
}

// WantsRecords implements events.RecordSink: the event history keeps
// every account's management events, as AWS always does; data events
// only for accounts with a trail that may select them.
func (c *CloudTrail) WantsRecords(account, _ string, data bool) bool {
	return !data || c.wantsData(account)
}

// pendingRecord is a record waiting for the flusher: one the audit hook
// handed with its fields (r), made a histRecord (its JSON built, if the
// hook left that to the sink) when the batch is stored, or one known only
// by its JSON, parsed when it came (parsed).
type pendingRecord struct {
	sc     storage.Scope
	r      events.Record
	parsed *histRecord
}

// Record implements events.RecordSink. It runs on the API call's path, so
// it only queues the record (data events only for accounts whose trails
// may select them); the flusher stores the queue in batches. A record
// the audit hook built comes with its fields: nothing is parsed back, and
// its JSON is built by the flusher.
func (c *CloudTrail) Record(r events.Record) {
	p := pendingRecord{sc: storage.Scope{Account: r.Event.Account, Region: r.Event.Region}}
	if f := r.Fields; f != nil {
		if !f.Management && !c.wantsData(r.Event.Account) {
			return
		}
		p.r = r
	} else {
		h, err := parse(r.Event.Detail)
		if err != nil {
			return // not a CloudTrail record
		}
		if !h.Management && !c.wantsData(r.Event.Account) {
			return
		}
		p.parsed = &h
	}
	c.pmu.Lock()
	if c.pending == nil {
		// The last batch's array, emptied by flush.
		c.pending, c.spare = c.spare, nil
	}
	c.pending = append(c.pending, p)
	n := len(c.pending)
	c.pmu.Unlock()
	switch {
	case n >= maxPending:
		// A burst the flusher has not caught up with: store it here,
		// so the queue stays bounded.
		if err := c.flush(); err != nil {
			c.opts.Log.Error("cloudtrail: store records", "error", err)
		}
	case n >= flushBatch:
		c.kickFlusher()
	case n == 1:
		// The first record of a batch: the flusher stores the batch
		// flushDelay later. Every reader of the records (LookupEvents,
		// deliveries, StartLogging, Close) flushes first, so nothing
		// sees the delay; batches make a record's share of the store's
		// transaction (a copy-on-write of the tree's path) small.
		c.clock.AfterFunc(flushDelay, c.kickFlusher)
	}
}

// Batching of the records stored: a batch is stored flushDelay after its
// first record or once it holds flushBatch records, and the call whose
// record makes maxPending stores them itself.
const (
	flushDelay = 100 * time.Millisecond
	flushBatch = 1024
	maxPending = 4096
)

// kickFlusher wakes the flusher.
func (c *CloudTrail) kickFlusher() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// flusher stores queued records until Close.
func (c *CloudTrail) flusher() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
			if err := c.flush(); err != nil {
				c.opts.Log.Error("cloudtrail: store records", "error", err)
			}
		}
	}
}

// wantsData reports whether a trail of account may select data events.
func (c *CloudTrail) wantsData(account string) bool {
	c.dmu.Lock()
	v, ok := c.dataAccounts[account]
	c.dmu.Unlock()
	if ok {
		return v
	}
	v = false
	err := c.store.View(func(tx storage.Tx) error {
		return trails.List(tx, storage.Global(account), nil, storage.ListOptions{}, func(_ []string, t trailRecord) bool {
			v = v || t.selectsData()
			return !v
		})
	})
	if err != nil {
		return true // keep them rather than lose them
	}
	c.dmu.Lock()
	c.dataAccounts[account] = v
	c.dmu.Unlock()
	return v
}

// nextSeq returns the next record sequence: ordered by the clock, then
// by arrival. Callers hold flushMu.
func (c *CloudTrail) nextSeq(now time.Time) string {
	if ns, n, ok := c.nextSeqNum(now); ok {
		return formatSeq(ns, n)
	}
	if c.seqNum {
		c.lastSeq, c.seqNum = formatSeq(c.lastNs, c.lastN), false
	}
	var s string
	if ns := now.UnixNano(); ns >= 0 {
		s = formatSeq(uint64(ns), 0)
	} else {
		s = fmt.Sprintf("%016x%08x", ns, 0)
	}
	if s <= c.lastSeq {
		ns, n := parseSeq(c.lastSeq)
		s = formatSeq(ns, n+1)
	}
	c.lastSeq = s
	if len(s) == 24 && s[0] != '-' {
		c.lastNs, c.lastN = parseSeq(s)
		c.seqNum = formatSeq(c.lastNs, c.lastN) == s
	}
	return s
}

// nextSeqNum is nextSeq as formatSeq's numbers, without making the
// string, when the last sequence is known by its numbers (seqNum) and the
// next is formatSeq's (a clock after 1970, fewer than 2^32 records in one
// nanosecond); ok is false, and nothing changed, otherwise. Sequences of
// formatSeq's fixed width sort as their numbers do, so comparing numbers
// is comparing the strings.
func (c *CloudTrail) nextSeqNum(now time.Time) (ns, n uint64, ok bool) {
	t := now.UnixNano()
	if !c.seqNum || t < 0 {
		return 0, 0, false
	}
	ns = uint64(t)
	if ns <= c.lastNs {
		if c.lastN >= 0xffffffff {
			return 0, 0, false
		}
		ns, n = c.lastNs, c.lastN+1
	}
	c.lastNs, c.lastN = ns, n
	return ns, n, true
}

// appendSeq appends formatSeq(ns, n) for n < 2^32.
func appendSeq(dst []byte, ns, n uint64) []byte {
	const digits = "0123456789abcdef"
	var b [24]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[ns&15]
		ns >>= 4
	}
	for i := 23; i >= 16; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return append(dst, b[:]...)
}

// formatSeq is fmt.Sprintf("%016x%08x", ns, n) without fmt's cost (a
// sequence is made for every record).
func formatSeq(ns, n uint64) string {
	if n > 0xffffffff {
		return fmt.Sprintf("%016x%08x", ns, n)
	}
	var b [24]byte
	return string(appendSeq(b[:0], ns, n))
}

// parseSeq reads a sequence formatSeq wrote.
func parseSeq(s string) (ns, n uint64) {
	if len(s) == 24 {
		a, err1 := strconv.ParseUint(s[:16], 16, 64)
		b, err2 := strconv.ParseUint(s[16:], 16, 64)
		if err1 == nil && err2 == nil {
			return a, b
		}
	}
	_, _ = fmt.Sscanf(s, "%016x%08x", &ns, &n)
	return ns, n
}

// nextSeqAfter is a sequence after every record stored so far: where a
// logging period starts.
func (c *CloudTrail) nextSeqAfter() string {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	return c.nextSeq(c.clock.Now())
}

// kind is one table of records: management events (the event history,
// 90 days) or data events (kept only until delivered, a day at most).
type kind struct {
	tbl       storage.Table[histRecord]
	name      string
	retention time.Duration
}

var (
	managementKind = kind{tbl: history, name: "management", retention: historyRetention}
	dataKind       = kind{tbl: dataTbl, name: "data", retention: dataRetention}
	kinds          = []kind{managementKind, dataKind}
)

func kindOf(h *histRecord) kind {
	if h.Management {
		return managementKind
	}
	return dataKind
}

// flush stores the queued records.
func (c *CloudTrail) flush() error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.pmu.Lock()
	batch := c.pending
	c.pending = nil
	c.pmu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	defer func() {
		// The array is the next batch's: emptied, so that it holds no
		// record, and not kept when a burst made it large.
		clear(batch)
		if cap(batch) <= flushBatch {
			c.pmu.Lock()
			c.spare = batch[:0]
			c.pmu.Unlock()
		}
	}()
	now := c.clock.Now()
	return c.store.Update(func(tx storage.Tx) error {
		type slot struct {
			sc storage.Scope
			k  string
		}
		added := map[slot]int{}
		for i := range batch {
			p := &batch[i]
			var h histRecord
			if p.parsed != nil {
				h = *p.parsed
			} else {
				// The record's JSON, built here (or copied from the
				// event the hook encoded for EventBridge) into a buffer
				// each record reuses: what is stored is its coded form.
				c.detailBuf = p.r.AppendDetail(c.detailBuf[:0])
				var raw json.RawMessage
				if len(c.detailBuf) > 0 {
					raw = c.detailBuf
				}
				h = fromFields(p.r.Fields, &p.r.Event, raw)
			}
			k := kindOf(&h)
			if err := c.put(tx, k, p.sc, &h, now); err != nil {
				return err
			}
			added[slot{p.sc, k.name}]++
		}
		for sl, n := range added {
			if _, ok, err := scopesTbl.Get(tx, indexScope, sl.sc.Account, sl.sc.Region); err != nil {
				return err
			} else if !ok {
				if err := scopesTbl.Put(tx, indexScope, true, sl.sc.Account, sl.sc.Region); err != nil {
					return err
				}
			}
			k, limit := managementKind, c.opts.MaxHistory
			if sl.k == dataKind.name {
				k, limit = dataKind, maxPendingData
			}
			have, _, err := counts.Get(tx, sl.sc, k.name)
			if err != nil {
				return err
			}
			have += n
			if have > limit {
				// The history's bound drops only what no logging trail
				// still has to deliver; past maxPendingData (a trail
				// that cannot deliver) the oldest go regardless.
				keepAfter := ""
				if k == managementKind {
					if keepAfter, err = undelivered(tx, sl.sc); err != nil {
						return err
					}
				}
				dropped, err := dropOldest(tx, k, sl.sc, have-limit, keepAfter)
				if err != nil {
					return err
				}
				have -= dropped
				if have > maxPendingData {
					dropped, err := dropOldest(tx, k, sl.sc, have-maxPendingData, "")
					if err != nil {
						return err
					}
					have -= dropped
				}
			}
			if err := counts.Put(tx, sl.sc, have, k.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// put stores h in k's table under the next sequence: what k.tbl.Put
// does (TestFlushPutIsTablePut), in buffers every record of a batch
// reuses (the store copies what it keeps). Callers hold flushMu.
func (c *CloudTrail) put(tx storage.Tx, k kind, sc storage.Scope, h *histRecord, now time.Time) error {
	c.keyBuf = storage.AppendKey(c.keyBuf[:0], sc.Account, sc.Region, k.tbl.Name())
	if ns, n, ok := c.nextSeqNum(now); ok {
		var b [24]byte
		c.keyBuf = storage.AppendKey(c.keyBuf, string(appendSeq(b[:0], ns, n)))
	} else {
		c.keyBuf = storage.AppendKey(c.keyBuf, c.nextSeq(now))
	}
	c.valBuf = h.AppendRecord(append(c.valBuf[:0], storage.RecordV1))
	return tx.Put(c.keyBuf, c.valBuf)
}

// dropOldest deletes the n oldest records of k in sc; with keepAfter
// set, none whose sequence is after it. Only their keys are read: once
// the history is full every record stored drops one, and decoding it (its
// coded JSON expanded) only to delete it cost as much as storing one.
func dropOldest(tx storage.Tx, k kind, sc storage.Scope, n int, keepAfter string) (int, error) {
	dropped := 0
	var derr error
	err := tx.Scan(k.tbl.Key(sc), storage.ScanOptions{Limit: n}, func(key, _ []byte) bool {
		if keepAfter != "" {
			// The key is account, region, table, sequence.
			seq, _, err := storage.KeyPart(key, 3)
			if err != nil {
				derr = err
				return false
			}
			if string(seq) > keepAfter {
				return false
			}
		}
		if derr = tx.Delete(key); derr != nil {
			return false
		}
		dropped++
		return true
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return 0, err
	}
	return dropped, nil
}

// undelivered is the sequence after which a logging trail of sc's
// account still has sc's region's management events to deliver (the
// lowest such cursor), or "" when no logging trail waits for them.
func undelivered(tx storage.Tx, sc storage.Scope) (string, error) {
	from, waiting := "", false
	err := trails.List(tx, storage.Global(sc.Account), nil, storage.ListOptions{}, func(_ []string, t trailRecord) bool {
		if !t.Logging || (!t.IsMultiRegionTrail && t.HomeRegion != sc.Region) {
			return true
		}
		f := t.Since
		if cur := t.Cursors[sc.Region]; cur > f {
			f = cur
		}
		if !waiting || f < from {
			from, waiting = f, true
		}
		return true
	})
	if waiting && from == "" {
		from = "\x00" // waits for every record: keep them all
	}
	return from, err
}

// prune deletes what no lookup or delivery needs any more: management
// events older than 90 days and data events older than a day. Records
// are in arrival order, so each scan stops at the first one to keep.
func (c *CloudTrail) prune(sc storage.Scope, now time.Time) error {
	return c.store.Update(func(tx storage.Tx) error {
		for _, k := range kinds {
			var keys [][]string
			err := k.tbl.List(tx, sc, nil, storage.ListOptions{}, func(key []string, h histRecord) bool {
				if now.Sub(h.Time) <= k.retention {
					return false
				}
				keys = append(keys, key)
				return true
			})
			if err != nil {
				return err
			}
			if len(keys) == 0 {
				continue
			}
			for _, key := range keys {
				if err := k.tbl.Delete(tx, sc, key...); err != nil {
					return err
				}
			}
			have, _, err := counts.Get(tx, sc, k.name)
			if err != nil {
				return err
			}
			if err := counts.Put(tx, sc, max(0, have-len(keys)), k.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// seqRecord is a record with its sequence.
type seqRecord struct {
	seq string
	h   histRecord
}

// recordsAfter returns sc's records of both kinds after sequence from
// ("" for all), in sequence order.
func recordsAfter(tx storage.Tx, sc storage.Scope, from string) ([]seqRecord, error) {
	var out []seqRecord
	for _, k := range kinds {
		opts := storage.ListOptions{}
		if from != "" {
			opts.After = []string{from}
		}
		if err := k.tbl.List(tx, sc, nil, opts, func(key []string, h histRecord) bool {
			out = append(out, seqRecord{key[0], h})
			return true
		}); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, nil
}

// lastStoredSeq is the greatest sequence stored, so sequences keep
// growing after a restart whose clock reads earlier than the records (an
// advanced clock is not kept across restarts).
func (c *CloudTrail) lastStoredSeq() (string, error) {
	last := ""
	err := c.store.View(func(tx storage.Tx) error {
		var scopes []storage.Scope
		if err := scopesTbl.List(tx, indexScope, nil, storage.ListOptions{}, func(k []string, _ bool) bool {
			if len(k) == 2 {
				scopes = append(scopes, storage.Scope{Account: k[0], Region: k[1]})
			}
			return true
		}); err != nil {
			return err
		}
		for _, sc := range scopes {
			for _, k := range kinds {
				if err := k.tbl.List(tx, sc, nil, storage.ListOptions{Reverse: true, Limit: 1}, func(key []string, _ histRecord) bool {
					last = max(last, key[0])
					return false
				}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return last, err
}

// lookupKeys are the attributes LookupEvents filters on.
func lookupMatch(h *histRecord, key, val string) bool {
	switch key {
	case "EventId":
		return h.EventID == val
	case "EventName":
		return h.Name == val
	case "ReadOnly":
		return fmt.Sprint(h.ReadOnly) == val
	case "Username":
		return h.Username == val
	case "EventSource":
		return h.Source == val
	case "AccessKeyId":
		return h.AccessKeyID == val
	case "ResourceType", "ResourceName":
		for _, r := range h.Resources {
			if key == "ResourceType" && r.Type == val || key == "ResourceName" && r.Name == val {
				return true
			}
		}
	}
	return false
}

// LookupEvents reads the region's management events of the last 90 days,
// newest first.
func (c *CloudTrail) LookupEvents(ctx *request.Context, in *cloudtrailapi.LookupEventsInput) (*cloudtrailapi.LookupEventsOutput, error) {
	if len(in.LookupAttributes) > 1 {
		return nil, cloudtrailapi.ErrInvalidLookupAttributesException.New("You can specify only one lookup attribute.")
	}
	var key, val string
	if len(in.LookupAttributes) == 1 {
		key, val = ptr.Deref(in.LookupAttributes[0].AttributeKey), ptr.Deref(in.LookupAttributes[0].AttributeValue)
		if val == "" {
			return nil, cloudtrailapi.ErrInvalidLookupAttributesException.New("The attribute value for %s cannot be empty.", key)
		}
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, cloudtrailapi.ErrInvalidMaxResultsException.New("MaxResults must be between 1 and 50.")
		}
		limit = int(*in.MaxResults)
	}
	now := ctx.Now()
	start, end := now.Add(-historyRetention), now
	if in.StartTime != nil {
		start = *in.StartTime
	}
	if in.EndTime != nil {
		end = *in.EndTime
	}
	if in.StartTime != nil && in.EndTime != nil && start.After(end) {
		return nil, cloudtrailapi.ErrInvalidTimeRangeException.New("Start time must be before end time.")
	}
	if in.EventCategory != nil && *in.EventCategory == "insight" {
		// niwa produces no Insights events.
		return &cloudtrailapi.LookupEventsOutput{Events: []cloudtrailapi.Event{}}, nil
	}
	var after []string
	if tok := ptr.Deref(in.NextToken); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != 24 {
			return nil, cloudtrailapi.ErrInvalidNextTokenException.New("Invalid NextToken.")
		}
		after = []string{string(b)}
	}
	if err := c.flush(); err != nil {
		return nil, err
	}
	out := &cloudtrailapi.LookupEventsOutput{Events: []cloudtrailapi.Event{}}
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	var last string
	more := false
	err := c.store.View(func(tx storage.Tx) error {
		return history.List(tx, sc, nil, storage.ListOptions{Reverse: true, After: after}, func(k []string, h histRecord) bool {
			if h.Time.Before(start) {
				return false
			}
			if h.Time.After(end) || (key != "" && !lookupMatch(&h, key, val)) {
				return true
			}
			if len(out.Events) == limit {
				more = true
				return false
			}
			out.Events = append(out.Events, lookupEvent(&h))
			last = k[0]
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.NextToken = ptr.To(base64.RawURLEncoding.EncodeToString([]byte(last)))
	}
	return out, nil
}

func lookupEvent(h *histRecord) cloudtrailapi.Event {
	ev := cloudtrailapi.Event{EventId: ptr.To(h.EventID), EventName: ptr.To(h.Name), ReadOnly: ptr.To(fmt.Sprint(h.ReadOnly)),
		EventTime: ptr.To(h.Time), EventSource: ptr.To(h.Source), CloudTrailEvent: ptr.To(string(h.Raw)),
		Resources: []cloudtrailapi.Resource{}}
	if h.AccessKeyID != "" {
		ev.AccessKeyId = ptr.To(h.AccessKeyID)
	}
	if h.Username != "" {
		ev.Username = ptr.To(h.Username)
	}
	for _, r := range h.Resources {
		ev.Resources = append(ev.Resources, cloudtrailapi.Resource{ResourceType: ptr.To(r.Type), ResourceName: ptr.To(r.Name)})
	}
	return ev
}
