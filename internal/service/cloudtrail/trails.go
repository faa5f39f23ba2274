package cloudtrail

import (
	"context"
	"errors"
	"net"
	"sort"
	"strings"
	"time"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// trailRecord is a stored trail with its selectors, tags and delivery
// state.
type trailRecord struct {
	Name, HomeRegion, Account string

	S3BucketName, S3KeyPrefix  string
	SnsTopicARN                string
	IncludeGlobalServiceEvents bool
	IsMultiRegionTrail         bool
	LogFileValidationEnabled   bool
	CloudWatchLogsLogGroupArn  string
	CloudWatchLogsRoleArn      string
	KmsKeyID                   string

	// Selectors are the basic event selectors; nil means AWS's default
	// (all management events). Advanced replaces them when set.
	Selectors []cloudtrailapi.EventSelector
	Advanced  []cloudtrailapi.AdvancedEventSelector
	Insights  []cloudtrailapi.InsightSelector
	Tags      []cloudtrailapi.Tag

	Logging          bool
	StartLoggingTime time.Time
	StopLoggingTime  time.Time
	// Since is the first record sequence a logging period delivers.
	Since string
	// Cursors are the last delivered sequence per recording region.
	Cursors map[string]string
	// Digests are the digest chains per recording region.
	Digests map[string]*digestState

	Status status
}

// status is what GetTrailStatus reports about deliveries.
type status struct {
	LatestDeliveryTime, LatestDeliveryAttempt         time.Time
	LatestDeliveryError                               string
	LatestNotificationTime, LatestNotificationAttempt time.Time
	LatestNotificationError                           string
	LatestDigestDeliveryTime                          time.Time
	LatestDigestDeliveryError                         string
	LatestCloudWatchLogsDeliveryTime                  time.Time
	LatestCloudWatchLogsDeliveryError                 string
}

func (t *trailRecord) arn() string { return trailARN(t.Account, t.HomeRegion, t.Name) }

// selectsData reports whether the trail's selectors may select data
// events, which are only kept for accounts with such a trail.
func (t *trailRecord) selectsData() bool {
	for _, s := range t.Selectors {
		if len(s.DataResources) > 0 {
			return true
		}
	}
	for _, a := range t.Advanced {
		for _, f := range a.FieldSelectors {
			if ptr.Deref(f.Field) == "eventCategory" && contains(f.Equals, "Data") {
				return true
			}
		}
	}
	return false
}

func (t *trailRecord) shape() cloudtrailapi.Trail {
	out := cloudtrailapi.Trail{
		Name: ptr.To(t.Name), S3BucketName: ptr.To(t.S3BucketName),
		IncludeGlobalServiceEvents: ptr.To(t.IncludeGlobalServiceEvents),
		IsMultiRegionTrail:         ptr.To(t.IsMultiRegionTrail), HomeRegion: ptr.To(t.HomeRegion),
		TrailARN: ptr.To(t.arn()), LogFileValidationEnabled: ptr.To(t.LogFileValidationEnabled),
		HasCustomEventSelectors: ptr.To(t.Selectors != nil || t.Advanced != nil),
		HasInsightSelectors:     ptr.To(len(t.Insights) > 0), IsOrganizationTrail: ptr.To(false),
	}
	if t.S3KeyPrefix != "" {
		out.S3KeyPrefix = ptr.To(t.S3KeyPrefix)
	}
	if t.SnsTopicARN != "" {
		out.SnsTopicARN = ptr.To(t.SnsTopicARN)
		out.SnsTopicName = ptr.To(t.SnsTopicARN[strings.LastIndexByte(t.SnsTopicARN, ':')+1:])
	}
	if t.CloudWatchLogsLogGroupArn != "" {
		out.CloudWatchLogsLogGroupArn = ptr.To(t.CloudWatchLogsLogGroupArn)
		out.CloudWatchLogsRoleArn = ptr.To(t.CloudWatchLogsRoleArn)
	}
	if t.KmsKeyID != "" {
		out.KmsKeyId = ptr.To(t.KmsKeyID)
	}
	return out
}

// Trail names: 3-128 of letters, digits, '.', '_', '-', starting and
// ending with a letter or digit, no two special characters in a row,
// not an IP address (AWS's rules, with its messages).
var (
	trailNameChars  = lazyre.New(`^[A-Za-z0-9._-]+$`)
	adjacentSpecial = lazyre.New(`[._-]{2}`)
)

func validateTrailName(name string) error {
	bad := cloudtrailapi.ErrInvalidTrailNameException
	switch {
	case len(name) < 3:
		return bad.New("Trail name too short. Minimum allowed length: 3 characters. Specified name length: %d characters.", len(name))
	case len(name) > 128:
		return bad.New("Trail name too long. Maximum allowed length: 128 characters. Specified name length: %d characters.", len(name))
	case !isAlnum(name[0]):
		return bad.New("Trail name must starts with a letter or number.")
	case !isAlnum(name[len(name)-1]):
		return bad.New("Trail name must ends with a letter or number.")
	case !trailNameChars.MatchString(name):
		return bad.New("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	case adjacentSpecial.MatchString(name):
		return bad.New("Trail name cannot contain consecutive special characters.")
	case net.ParseIP(name) != nil:
		return bad.New("Trail name cannot be formatted as an IP address.")
	}
	return nil
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

var bucketNameRE = lazyre.New(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ref is how a request names a trail: a name (in the caller's region, or
// a multi-region trail of another) or an ARN.
type ref struct {
	name, region, account string
	byARN                 bool
}

func parseRef(ctx *request.Context, s string) (ref, error) {
	if !strings.HasPrefix(s, "arn:") {
		if err := validateTrailName(s); err != nil {
			return ref{}, err
		}
		return ref{name: s, region: ctx.Region, account: ctx.Account}, nil
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[2] != "cloudtrail" || !strings.HasPrefix(parts[5], "trail/") {
		return ref{}, cloudtrailapi.ErrCloudTrailARNInvalidException.New("Invalid trail ARN: %s", s)
	}
	return ref{name: strings.TrimPrefix(parts[5], "trail/"), region: parts[3], account: parts[4], byARN: true}, nil
}

// find loads the trail r names as seen from the caller's region: its own
// trails, and multi-region trails of other regions (their shadows).
func (c *CloudTrail) find(tx storage.Tx, ctx *request.Context, r ref) (trailRecord, bool, error) {
	if r.account != ctx.Account {
		return trailRecord{}, false, nil
	}
	sc := storage.Global(ctx.Account)
	if r.byARN {
		t, ok, err := trails.Get(tx, sc, r.region, r.name)
		if err != nil || !ok {
			return t, false, err
		}
		return t, t.HomeRegion == ctx.Region || t.IsMultiRegionTrail, nil
	}
	t, ok, err := trails.Get(tx, sc, ctx.Region, r.name)
	if err != nil || ok {
		return t, ok, err
	}
	var found trailRecord
	err = trails.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v trailRecord) bool {
		if v.Name == r.name && v.IsMultiRegionTrail {
			found, ok = v, true
			return false
		}
		return true
	})
	return found, ok, err
}

// load finds the trail named by s or answers TrailNotFoundException.
func (c *CloudTrail) load(ctx *request.Context, s string) (trailRecord, error) {
	r, err := parseRef(ctx, s)
	if err != nil {
		return trailRecord{}, err
	}
	var t trailRecord
	var ok bool
	err = c.store.View(func(tx storage.Tx) error {
		var err error
		t, ok, err = c.find(tx, ctx, r)
		return err
	})
	if err != nil {
		return t, err
	}
	if !ok {
		return t, errTrailNotFound(ctx, s)
	}
	return t, nil
}

// update runs fn on the trail named by s in its home region: changing a
// trail from another region is InvalidHomeRegionException, as on AWS.
func (c *CloudTrail) update(ctx *request.Context, s string, fn func(t *trailRecord) error) (trailRecord, error) {
	r, err := parseRef(ctx, s)
	if err != nil {
		return trailRecord{}, err
	}
	var t trailRecord
	err = c.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		t, ok, err = c.find(tx, ctx, r)
		if err != nil {
			return err
		}
		if !ok {
			return errTrailNotFound(ctx, s)
		}
		if t.HomeRegion != ctx.Region {
			return cloudtrailapi.ErrInvalidHomeRegionException.New(
				"The request was rejected because the trail %s is a shadow trail of a multi-region trail; call it from its home region %s.", t.arn(), t.HomeRegion)
		}
		if err := fn(&t); err != nil {
			return err
		}
		return trails.Put(tx, storage.Global(ctx.Account), t, t.HomeRegion, t.Name)
	})
	if err == nil {
		c.forgetData(ctx.Account)
	}
	return t, err
}

// settings are the members CreateTrail and UpdateTrail share.
type settings struct {
	bucket, prefix, topic          *string
	global, multi, validation, org *bool
	logGroup, logRole, kmsKey      *string
}

// apply checks s against AWS's rules and the resources it names, and
// stores it in t.
func (c *CloudTrail) apply(ctx *request.Context, t *trailRecord, s settings) error {
	if ptr.Deref(s.org) {
		return cloudtrailapi.ErrOrganizationsNotInUseException.New(
			"This account is not a member of an organization: niwa does not implement AWS Organizations, so organization trails cannot be created.")
	}
	if s.bucket != nil {
		t.S3BucketName = *s.bucket
	}
	if s.prefix != nil {
		t.S3KeyPrefix = *s.prefix
	}
	if s.global != nil {
		t.IncludeGlobalServiceEvents = *s.global
	}
	if s.multi != nil {
		t.IsMultiRegionTrail = *s.multi
	}
	if s.validation != nil {
		t.LogFileValidationEnabled = *s.validation
	}
	if t.IsMultiRegionTrail && !t.IncludeGlobalServiceEvents {
		return cloudtrailapi.ErrInvalidParameterCombinationException.New(
			"Multi-Region trail must include global service events.")
	}
	if !bucketNameRE.MatchString(t.S3BucketName) || strings.Contains(t.S3BucketName, "..") {
		return cloudtrailapi.ErrInvalidS3BucketNameException.New("Bucket name should be between 3 and 63 characters long.")
	}
	if len(t.S3KeyPrefix) > 200 {
		return cloudtrailapi.ErrInvalidS3PrefixException.New("Prefix is too long. Maximum allowed length: 200 characters.")
	}
	if s.bucket != nil || s.prefix != nil {
		if err := c.checkBucket(ctx, t); err != nil {
			return err
		}
	}
	if s.topic != nil {
		t.SnsTopicARN = ""
		if *s.topic != "" {
			arn := *s.topic
			if !strings.HasPrefix(arn, "arn:") {
				arn = "arn:aws:sns:" + ctx.Region + ":" + ctx.Account + ":" + arn
			}
			err := c.bus.Deliver(ctx, events.Message{TargetARN: arn, Validate: true, SourceService: servicePrincipal,
				SourceARN: t.arn(), SourceAccount: ctx.Account})
			if err != nil {
				return cloudtrailapi.ErrInsufficientSnsTopicPolicyException.New("SNS Topic does not exist or the topic policy is incorrect!")
			}
			t.SnsTopicARN = arn
		}
	}
	if s.logGroup != nil || s.logRole != nil {
		if err := c.checkLogs(ctx, t, s); err != nil {
			return err
		}
	}
	if s.kmsKey != nil {
		t.KmsKeyID = ""
		if *s.kmsKey != "" {
			arn, err := c.checkKey(ctx, *s.kmsKey)
			if err != nil {
				return err
			}
			t.KmsKeyID = arn
		}
	}
	return nil
}

// checkBucket does what CreateTrail does with the bucket: it must exist
// and its policy must let cloudtrail.amazonaws.com read its ACL and put
// objects under <prefix>/AWSLogs/<account>/ (AWS's documented policy).
func (c *CloudTrail) checkBucket(ctx *request.Context, t *trailRecord) error {
	if c.opts.Objects == nil {
		return cloudtrailapi.ErrS3BucketDoesNotExistException.New("S3 bucket %s does not exist.", t.S3BucketName)
	}
	_, _, err := c.opts.Objects.CheckObjectAccess(ctx, t.S3BucketName, logPrefix(t, ctx.Account), c.principal(t),
		"s3:GetBucketAcl", "s3:PutObject")
	switch {
	case errors.Is(err, objects.ErrNoSuchBucket):
		return cloudtrailapi.ErrS3BucketDoesNotExistException.New("S3 bucket %s does not exist.", t.S3BucketName)
	case errors.Is(err, objects.ErrAccessDenied):
		return cloudtrailapi.ErrInsufficientS3BucketPolicyException.New("Incorrect S3 bucket policy is detected for bucket: %s", t.S3BucketName)
	}
	return err
}

// principal is who CloudTrail acts as for t.
func (c *CloudTrail) principal(t *trailRecord) objects.Principal {
	return objects.Principal{Service: servicePrincipal, Region: t.HomeRegion, SourceAccount: t.Account, SourceARN: t.arn()}
}

// logPrefix is "<prefix>/AWSLogs/<account>/": where the trail writes.
func logPrefix(t *trailRecord, account string) string {
	p := "AWSLogs/" + account + "/"
	if t.S3KeyPrefix != "" {
		p = t.S3KeyPrefix + "/" + p
	}
	return p
}

// checkLogs checks the CloudWatch Logs log group and role: both or
// neither, the group must exist.
func (c *CloudTrail) checkLogs(ctx *request.Context, t *trailRecord, s settings) error {
	group, role := ptr.Deref(s.logGroup), ptr.Deref(s.logRole)
	if s.logGroup == nil {
		group = t.CloudWatchLogsLogGroupArn
	}
	if s.logRole == nil {
		role = t.CloudWatchLogsRoleArn
	}
	t.CloudWatchLogsLogGroupArn, t.CloudWatchLogsRoleArn = "", ""
	if group == "" && role == "" {
		return nil
	}
	if group == "" {
		return cloudtrailapi.ErrInvalidCloudWatchLogsLogGroupArnException.New("You must specify a log group ARN when you specify a role ARN.")
	}
	if role == "" {
		return cloudtrailapi.ErrInvalidCloudWatchLogsRoleArnException.New("You must specify a role ARN when you specify a log group ARN.")
	}
	gp := strings.Split(group, ":")
	if len(gp) < 7 || gp[0] != "arn" || gp[2] != "logs" || gp[5] != "log-group" || gp[4] != ctx.Account {
		return cloudtrailapi.ErrInvalidCloudWatchLogsLogGroupArnException.New("CloudTrail cannot validate the specified log group ARN.")
	}
	rp := strings.SplitN(role, ":", 6)
	if len(rp) != 6 || rp[0] != "arn" || rp[2] != "iam" || !strings.HasPrefix(rp[5], "role/") {
		return cloudtrailapi.ErrInvalidCloudWatchLogsRoleArnException.New("Access denied. Verify in IAM that the role has adequate permissions.")
	}
	if err := c.bus.Deliver(ctx, events.Message{TargetARN: group, Validate: true}); err != nil {
		return cloudtrailapi.ErrInvalidCloudWatchLogsLogGroupArnException.New("CloudTrail cannot validate the specified log group ARN.")
	}
	t.CloudWatchLogsLogGroupArn, t.CloudWatchLogsRoleArn = group, role
	return nil
}

// checkKey resolves a trail's KMS key and checks that its key policy lets
// CloudTrail generate data keys with it.
func (c *CloudTrail) checkKey(ctx *request.Context, id string) (string, error) {
	if c.opts.Keys == nil {
		return "", cloudtrailapi.ErrKmsKeyNotFoundException.New("KMS key not found: %s", id)
	}
	key, err := c.opts.Keys.Key(ctx, id)
	if err != nil {
		return "", cloudtrailapi.ErrKmsKeyNotFoundException.New("KMS key not found: %s", id)
	}
	if key.State == "Disabled" {
		return "", cloudtrailapi.ErrKmsKeyDisabledException.New("KMS key is disabled: %s", key.ARN)
	}
	if !key.Symmetric() {
		return "", cloudtrailapi.ErrInvalidKmsKeyIdException.New("KMS key %s is not a symmetric encryption key.", key.ARN)
	}
	if _, err := c.opts.Keys.CheckService(ctx, key.ARN, servicePrincipal, "GenerateDataKey", nil); err != nil {
		if kms.Code(err) == "NotFoundException" {
			return "", cloudtrailapi.ErrKmsKeyNotFoundException.New("KMS key not found: %s", id)
		}
		return "", cloudtrailapi.ErrInsufficientEncryptionPolicyException.New("Insufficient permissions to access S3 bucket %s or KMS key %s.", "", key.ARN)
	}
	return key.ARN, nil
}

// CreateTrail creates a trail after AWS's checks.
func (c *CloudTrail) CreateTrail(ctx *request.Context, in *cloudtrailapi.CreateTrailInput) (*cloudtrailapi.CreateTrailOutput, error) {
	name := ptr.Deref(in.Name)
	if err := validateTrailName(name); err != nil {
		return nil, err
	}
	t := trailRecord{Name: name, HomeRegion: ctx.Region, Account: ctx.Account, IncludeGlobalServiceEvents: true}
	if len(in.TagsList) > 50 {
		return nil, cloudtrailapi.ErrTagsLimitExceededException.New("The number of tags exceeds the limit of 50.")
	}
	if err := c.apply(ctx, &t, settings{bucket: in.S3BucketName, prefix: in.S3KeyPrefix, topic: in.SnsTopicName,
		global: in.IncludeGlobalServiceEvents, multi: in.IsMultiRegionTrail, validation: in.EnableLogFileValidation,
		org: in.IsOrganizationTrail, logGroup: in.CloudWatchLogsLogGroupArn, logRole: in.CloudWatchLogsRoleArn,
		kmsKey: in.KmsKeyId}); err != nil {
		return nil, err
	}
	t.Tags = in.TagsList
	err := c.store.Update(func(tx storage.Tx) error {
		sc := storage.Global(ctx.Account)
		n := 0
		var clash bool
		err := trails.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v trailRecord) bool {
			if v.HomeRegion == ctx.Region || v.IsMultiRegionTrail {
				n++
				clash = clash || v.Name == name
			}
			return true
		})
		if err != nil {
			return err
		}
		if clash {
			return cloudtrailapi.ErrTrailAlreadyExistsException.New("Trail %s already exists for customer: %s", name, ctx.Account)
		}
		if n >= maxTrailsPerRegion {
			return cloudtrailapi.ErrMaximumNumberOfTrailsExceededException.New("User: %s already has %d trails in %s.", ctx.Account, maxTrailsPerRegion, ctx.Region)
		}
		if err := accounts.Put(tx, indexScope, true, ctx.Account); err != nil {
			return err
		}
		return trails.Put(tx, sc, t, ctx.Region, name)
	})
	if err != nil {
		return nil, err
	}
	c.forgetData(ctx.Account)
	sh := t.shape()
	return &cloudtrailapi.CreateTrailOutput{Name: sh.Name, S3BucketName: sh.S3BucketName, S3KeyPrefix: sh.S3KeyPrefix,
		SnsTopicName: sh.SnsTopicName, SnsTopicARN: sh.SnsTopicARN, IncludeGlobalServiceEvents: sh.IncludeGlobalServiceEvents,
		IsMultiRegionTrail: sh.IsMultiRegionTrail, TrailARN: sh.TrailARN, LogFileValidationEnabled: sh.LogFileValidationEnabled,
		CloudWatchLogsLogGroupArn: sh.CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn: sh.CloudWatchLogsRoleArn,
		KmsKeyId: sh.KmsKeyId, IsOrganizationTrail: sh.IsOrganizationTrail}, nil
}

// UpdateTrail changes a trail's settings, with CreateTrail's checks.
func (c *CloudTrail) UpdateTrail(ctx *request.Context, in *cloudtrailapi.UpdateTrailInput) (*cloudtrailapi.UpdateTrailOutput, error) {
	// The checks that reach other services run before the update's
	// transaction (a bus delivery may read other stores).
	cur, err := c.load(ctx, ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	s := settings{bucket: in.S3BucketName, prefix: in.S3KeyPrefix, topic: in.SnsTopicName,
		global: in.IncludeGlobalServiceEvents, multi: in.IsMultiRegionTrail, validation: in.EnableLogFileValidation,
		org: in.IsOrganizationTrail, logGroup: in.CloudWatchLogsLogGroupArn, logRole: in.CloudWatchLogsRoleArn, kmsKey: in.KmsKeyId}
	if cur.HomeRegion != ctx.Region {
		return nil, cloudtrailapi.ErrInvalidHomeRegionException.New(
			"The request was rejected because the trail %s is a shadow trail of a multi-region trail; call it from its home region %s.", cur.arn(), cur.HomeRegion)
	}
	checked := cur
	if err := c.apply(ctx, &checked, s); err != nil {
		return nil, err
	}
	t, err := c.update(ctx, ptr.Deref(in.Name), func(t *trailRecord) error {
		t.S3BucketName, t.S3KeyPrefix, t.SnsTopicARN = checked.S3BucketName, checked.S3KeyPrefix, checked.SnsTopicARN
		t.IncludeGlobalServiceEvents, t.IsMultiRegionTrail = checked.IncludeGlobalServiceEvents, checked.IsMultiRegionTrail
		t.LogFileValidationEnabled, t.KmsKeyID = checked.LogFileValidationEnabled, checked.KmsKeyID
		t.CloudWatchLogsLogGroupArn, t.CloudWatchLogsRoleArn = checked.CloudWatchLogsLogGroupArn, checked.CloudWatchLogsRoleArn
		return nil
	})
	if err != nil {
		return nil, err
	}
	sh := t.shape()
	return &cloudtrailapi.UpdateTrailOutput{Name: sh.Name, S3BucketName: sh.S3BucketName, S3KeyPrefix: sh.S3KeyPrefix,
		SnsTopicName: sh.SnsTopicName, SnsTopicARN: sh.SnsTopicARN, IncludeGlobalServiceEvents: sh.IncludeGlobalServiceEvents,
		IsMultiRegionTrail: sh.IsMultiRegionTrail, TrailARN: sh.TrailARN, LogFileValidationEnabled: sh.LogFileValidationEnabled,
		CloudWatchLogsLogGroupArn: sh.CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn: sh.CloudWatchLogsRoleArn,
		KmsKeyId: sh.KmsKeyId, IsOrganizationTrail: sh.IsOrganizationTrail}, nil
}

// DeleteTrail deletes a trail from its home region.
func (c *CloudTrail) DeleteTrail(ctx *request.Context, in *cloudtrailapi.DeleteTrailInput) (*cloudtrailapi.DeleteTrailOutput, error) {
	t, err := c.load(ctx, ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	if t.HomeRegion != ctx.Region {
		return nil, cloudtrailapi.ErrInvalidHomeRegionException.New(
			"The request was rejected because the trail %s is a shadow trail of a multi-region trail; call it from its home region %s.", t.arn(), t.HomeRegion)
	}
	if err := c.store.Update(func(tx storage.Tx) error {
		return trails.Delete(tx, storage.Global(ctx.Account), t.HomeRegion, t.Name)
	}); err != nil {
		return nil, err
	}
	c.forgetData(ctx.Account)
	return &cloudtrailapi.DeleteTrailOutput{}, nil
}

// GetTrail describes one trail (a shadow too).
func (c *CloudTrail) GetTrail(ctx *request.Context, in *cloudtrailapi.GetTrailInput) (*cloudtrailapi.GetTrailOutput, error) {
	t, err := c.load(ctx, ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	sh := t.shape()
	return &cloudtrailapi.GetTrailOutput{Trail: &sh}, nil
}

// visible lists the trails seen from the caller's region: its own and,
// with shadows, the multi-region trails of other regions.
func (c *CloudTrail) visible(ctx *request.Context, shadows bool) ([]trailRecord, error) {
	var out []trailRecord
	err := c.store.View(func(tx storage.Tx) error {
		return trails.List(tx, storage.Global(ctx.Account), nil, storage.ListOptions{}, func(_ []string, v trailRecord) bool {
			if v.HomeRegion == ctx.Region || (shadows && v.IsMultiRegionTrail) {
				out = append(out, v)
			}
			return true
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].arn() < out[j].arn() })
	return out, err
}

// DescribeTrails describes the named trails, or every visible one.
func (c *CloudTrail) DescribeTrails(ctx *request.Context, in *cloudtrailapi.DescribeTrailsInput) (*cloudtrailapi.DescribeTrailsOutput, error) {
	out := &cloudtrailapi.DescribeTrailsOutput{TrailList: []cloudtrailapi.Trail{}}
	if len(in.TrailNameList) == 0 {
		all, err := c.visible(ctx, in.IncludeShadowTrails == nil || *in.IncludeShadowTrails)
		if err != nil {
			return nil, err
		}
		for i := range all {
			out.TrailList = append(out.TrailList, all[i].shape())
		}
		return out, nil
	}
	for _, n := range in.TrailNameList {
		t, err := c.load(ctx, n)
		if cloudtrailapi.ErrTrailNotFoundException.Is(err) {
			continue // DescribeTrails leaves unknown names out
		}
		if err != nil {
			return nil, err
		}
		if t.HomeRegion != ctx.Region && in.IncludeShadowTrails != nil && !*in.IncludeShadowTrails {
			continue
		}
		out.TrailList = append(out.TrailList, t.shape())
	}
	return out, nil
}

// ListTrails lists the visible trails, shadows included, by pages.
func (c *CloudTrail) ListTrails(ctx *request.Context, in *cloudtrailapi.ListTrailsInput) (*cloudtrailapi.ListTrailsOutput, error) {
	all, err := c.visible(ctx, true)
	if err != nil {
		return nil, err
	}
	start := 0
	if tok := ptr.Deref(in.NextToken); tok != "" {
		start = -1
		for i := range all {
			if all[i].arn() > tok {
				start = i
				break
			}
		}
		if start < 0 && !validListToken(tok) {
			return nil, cloudtrailapi.ErrInvalidNextTokenException.New("Invalid NextToken.")
		}
		if start < 0 {
			start = len(all)
		}
	}
	const page = 50
	out := &cloudtrailapi.ListTrailsOutput{Trails: []cloudtrailapi.TrailInfo{}}
	for i := start; i < len(all) && i < start+page; i++ {
		out.Trails = append(out.Trails, cloudtrailapi.TrailInfo{TrailARN: ptr.To(all[i].arn()), Name: ptr.To(all[i].Name), HomeRegion: ptr.To(all[i].HomeRegion)})
	}
	if start+page < len(all) {
		out.NextToken = ptr.To(all[start+page-1].arn())
	}
	return out, nil
}

func validListToken(tok string) bool { return strings.HasPrefix(tok, "arn:aws:cloudtrail:") }

// GetTrailStatus reports logging and the latest deliveries.
func (c *CloudTrail) GetTrailStatus(ctx *request.Context, in *cloudtrailapi.GetTrailStatusInput) (*cloudtrailapi.GetTrailStatusOutput, error) {
	t, err := c.load(ctx, ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	st := t.Status
	out := &cloudtrailapi.GetTrailStatusOutput{IsLogging: ptr.To(t.Logging)}
	setTime := func(v time.Time, p **time.Time) {
		if !v.IsZero() {
			*p = ptr.To(v)
		}
	}
	setStr := func(v string, p **string) {
		if v != "" {
			*p = ptr.To(v)
		}
	}
	setTime(t.StartLoggingTime, &out.StartLoggingTime)
	setTime(t.StopLoggingTime, &out.StopLoggingTime)
	setTime(st.LatestDeliveryTime, &out.LatestDeliveryTime)
	setTime(st.LatestNotificationTime, &out.LatestNotificationTime)
	setTime(st.LatestDigestDeliveryTime, &out.LatestDigestDeliveryTime)
	setTime(st.LatestCloudWatchLogsDeliveryTime, &out.LatestCloudWatchLogsDeliveryTime)
	setStr(st.LatestDeliveryError, &out.LatestDeliveryError)
	setStr(st.LatestNotificationError, &out.LatestNotificationError)
	setStr(st.LatestDigestDeliveryError, &out.LatestDigestDeliveryError)
	setStr(st.LatestCloudWatchLogsDeliveryError, &out.LatestCloudWatchLogsDeliveryError)
	// The string members are what the console shows; AWS fills them
	// beside the timestamps.
	const f = "2006-01-02T15:04:05Z"
	if !t.StartLoggingTime.IsZero() {
		out.TimeLoggingStarted = ptr.To(t.StartLoggingTime.UTC().Format(f))
	}
	if !t.StopLoggingTime.IsZero() {
		out.TimeLoggingStopped = ptr.To(t.StopLoggingTime.UTC().Format(f))
	}
	if !st.LatestDeliveryAttempt.IsZero() {
		out.LatestDeliveryAttemptTime = ptr.To(st.LatestDeliveryAttempt.UTC().Format(f))
		if !st.LatestDeliveryTime.IsZero() {
			out.LatestDeliveryAttemptSucceeded = ptr.To(st.LatestDeliveryTime.UTC().Format(f))
		}
	}
	if !st.LatestNotificationAttempt.IsZero() {
		out.LatestNotificationAttemptTime = ptr.To(st.LatestNotificationAttempt.UTC().Format(f))
		if !st.LatestNotificationTime.IsZero() {
			out.LatestNotificationAttemptSucceeded = ptr.To(st.LatestNotificationTime.UTC().Format(f))
		}
	}
	return out, nil
}

// StartLogging starts delivering the records from now on.
func (c *CloudTrail) StartLogging(ctx *request.Context, in *cloudtrailapi.StartLoggingInput) (*cloudtrailapi.StartLoggingOutput, error) {
	// The records recorded until now are not this logging period's.
	if err := c.flush(); err != nil {
		return nil, err
	}
	_, err := c.update(ctx, ptr.Deref(in.Name), func(t *trailRecord) error {
		if t.Logging {
			return nil
		}
		t.Logging, t.StartLoggingTime = true, ctx.Now()
		t.Since = c.nextSeqAfter()
		t.Cursors = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cloudtrailapi.StartLoggingOutput{}, nil
}

// StopLogging stops delivering; records already buffered are delivered
// at the next pass.
func (c *CloudTrail) StopLogging(ctx *request.Context, in *cloudtrailapi.StopLoggingInput) (*cloudtrailapi.StopLoggingOutput, error) {
	if err := c.flush(); err != nil {
		return nil, err
	}
	t, err := c.update(ctx, ptr.Deref(in.Name), func(t *trailRecord) error {
		if t.Logging {
			t.Logging, t.StopLoggingTime = false, ctx.Now()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// What was recorded while logging is still delivered (one delivery
	// pass at a time, so no record goes out twice).
	c.tickMu.Lock()
	err = c.deliverTrail(context.Background(), t.Account, t.HomeRegion, t.Name, ctx.Now(), true)
	c.tickMu.Unlock()
	if err != nil {
		c.opts.Log.Warn("cloudtrail: final delivery", "trail", t.arn(), "error", err)
	}
	return &cloudtrailapi.StopLoggingOutput{}, nil
}

// Tags.

func (c *CloudTrail) tagged(ctx *request.Context, id string, fn func(t *trailRecord) error) error {
	if !strings.HasPrefix(id, "arn:") {
		return cloudtrailapi.ErrCloudTrailARNInvalidException.New("Invalid ARN: %s", id)
	}
	_, err := c.update(ctx, id, fn)
	return err
}

// AddTags adds or replaces tags of a trail.
func (c *CloudTrail) AddTags(ctx *request.Context, in *cloudtrailapi.AddTagsInput) (*cloudtrailapi.AddTagsOutput, error) {
	err := c.tagged(ctx, ptr.Deref(in.ResourceId), func(t *trailRecord) error {
		for _, tag := range in.TagsList {
			k := ptr.Deref(tag.Key)
			if k == "" || strings.HasPrefix(k, "aws:") {
				return cloudtrailapi.ErrInvalidTagParameterException.New("Tag key %q is not valid.", k)
			}
			replaced := false
			for i := range t.Tags {
				if ptr.Deref(t.Tags[i].Key) == k {
					t.Tags[i].Value, replaced = tag.Value, true
				}
			}
			if !replaced {
				t.Tags = append(t.Tags, tag)
			}
		}
		if len(t.Tags) > 50 {
			return cloudtrailapi.ErrTagsLimitExceededException.New("The number of tags exceeds the limit of 50.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cloudtrailapi.AddTagsOutput{}, nil
}

// RemoveTags removes tags by key (and value, when given).
func (c *CloudTrail) RemoveTags(ctx *request.Context, in *cloudtrailapi.RemoveTagsInput) (*cloudtrailapi.RemoveTagsOutput, error) {
	err := c.tagged(ctx, ptr.Deref(in.ResourceId), func(t *trailRecord) error {
		kept := t.Tags[:0]
		for _, have := range t.Tags {
			drop := false
			for _, rm := range in.TagsList {
				if ptr.Deref(rm.Key) == ptr.Deref(have.Key) && (rm.Value == nil || ptr.Deref(rm.Value) == ptr.Deref(have.Value)) {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		t.Tags = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cloudtrailapi.RemoveTagsOutput{}, nil
}

// ListTags lists the tags of trails by ARN.
func (c *CloudTrail) ListTags(ctx *request.Context, in *cloudtrailapi.ListTagsInput) (*cloudtrailapi.ListTagsOutput, error) {
	out := &cloudtrailapi.ListTagsOutput{ResourceTagList: []cloudtrailapi.ResourceTag{}}
	if len(in.ResourceIdList) > 20 {
		return nil, cloudtrailapi.ErrInvalidParameterException.New("ResourceIdList can contain at most 20 ARNs.")
	}
	for _, id := range in.ResourceIdList {
		if !strings.HasPrefix(id, "arn:") {
			return nil, cloudtrailapi.ErrCloudTrailARNInvalidException.New("Invalid ARN: %s", id)
		}
		t, err := c.load(ctx, id)
		if err != nil {
			return nil, cloudtrailapi.ErrResourceNotFoundException.New("Resource %s not found.", id)
		}
		tags := t.Tags
		if tags == nil {
			tags = []cloudtrailapi.Tag{}
		}
		out.ResourceTagList = append(out.ResourceTagList, cloudtrailapi.ResourceTag{ResourceId: ptr.To(id), TagsList: tags})
	}
	return out, nil
}

// resourceTags answers aws:ResourceTag/<key> for trails.
func (c *CloudTrail) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	t, err := c.load(ctx, arn)
	if cloudtrailapi.ErrTrailNotFoundException.Is(err) || cloudtrailapi.ErrCloudTrailARNInvalidException.Is(err) || cloudtrailapi.ErrInvalidTrailNameException.Is(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	m := make(map[string]string, len(t.Tags))
	for _, tag := range t.Tags {
		m[ptr.Deref(tag.Key)] = ptr.Deref(tag.Value)
	}
	return m, true, nil
}

// forgetData drops the cached answer to "does this account select data
// events" after its trails changed.
func (c *CloudTrail) forgetData(account string) {
	c.dmu.Lock()
	delete(c.dataAccounts, account)
	c.dmu.Unlock()
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
