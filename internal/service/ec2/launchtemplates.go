package ec2

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Launch templates keep every version's data as the API answers it
// (ResponseLaunchTemplateData); RunInstances with a LaunchTemplate merges
// the version's values under the request's, which win, as EC2 does.
var launchTemplates = storage.NewTable[ltRecord]("launchtemplate")

type ltRecord struct {
	Template ec2api.LaunchTemplate
	Versions []ec2api.LaunchTemplateVersion
}

var ltNameRE = lazyre.New(`^[a-zA-Z0-9().\-/_]{3,128}$`)

// maxLaunchTemplateVersions is EC2's quota of versions per template.
const maxLaunchTemplateVersions = 10000

// convertShape copies the fields two generated shapes share by name
// (the request and response forms of launch template data, and template
// data into a RunInstances request): the API's pairs differ only in
// their nested type names, so a field-by-field copy would be hundreds of
// lines of the same assignments. It goes through encoding/json in memory;
// nothing here is wire format.
func convertShape(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

func ltDataFromRequest(in *ec2api.RequestLaunchTemplateData) (*ec2api.ResponseLaunchTemplateData, error) {
	out := &ec2api.ResponseLaunchTemplateData{}
	if in == nil {
		return out, nil
	}
	if err := convertShape(in, out); err != nil {
		return nil, err
	}
	// The one field whose name differs between the two forms.
	out.RamDiskId = in.RamDiskId
	return out, nil
}

func ltNotFoundByID(id string) error {
	return code("InvalidLaunchTemplateId.NotFound").New("The specified launch template, with template ID %s, does not exist.", id)
}

func ltNotFoundByName(name string) error {
	return code("InvalidLaunchTemplateName.NotFoundException").New("The specified launch template, with template name %s, does not exist.", name)
}

// findTemplate resolves a template by id or name.
func findTemplate(tx storage.Tx, sc storage.Scope, id, name string) (ltRecord, error) {
	switch {
	case id != "":
		if !strings.HasPrefix(id, "lt-") {
			return ltRecord{}, code("InvalidLaunchTemplateId.Malformed").New("The specified ID for the launch template is not valid. Launch template IDs must be in the form lt-xxxxxxxxxxxxxxxxx (17 characters).")
		}
		r, ok, err := launchTemplates.Get(tx, sc, id)
		if err != nil {
			return r, err
		}
		if !ok {
			return r, ltNotFoundByID(id)
		}
		return r, nil
	case name != "":
		var found *ltRecord
		err := launchTemplates.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v ltRecord) bool {
			if ptr.Deref(v.Template.LaunchTemplateName) == name {
				found = &v
				return false
			}
			return true
		})
		if err != nil {
			return ltRecord{}, err
		}
		if found == nil {
			return ltRecord{}, ltNotFoundByName(name)
		}
		return *found, nil
	}
	return ltRecord{}, errMissingParameter.New("The request must contain the parameter LaunchTemplateName or LaunchTemplateId")
}

// resolveVersion finds a version by number, $Latest or $Default (empty
// is $Default).
func (r *ltRecord) resolveVersion(v string) (*ec2api.LaunchTemplateVersion, error) {
	var n int64
	switch v {
	case "", "$Default":
		n = ptr.Deref(r.Template.DefaultVersionNumber)
	case "$Latest":
		n = ptr.Deref(r.Template.LatestVersionNumber)
	default:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 1 {
			return nil, code("InvalidLaunchTemplateId.VersionNotFound").New("Could not find launch template version %s for launch template with ID %s.", v, ptr.Deref(r.Template.LaunchTemplateId))
		}
		n = x
	}
	for i := range r.Versions {
		if ptr.Deref(r.Versions[i].VersionNumber) == n {
			return &r.Versions[i], nil
		}
	}
	return nil, code("InvalidLaunchTemplateId.VersionNotFound").New("Could not find launch template version %s for launch template with ID %s.", v, ptr.Deref(r.Template.LaunchTemplateId))
}

func (r *ltRecord) markDefault() {
	for i := range r.Versions {
		r.Versions[i].DefaultVersion = ptr.To(ptr.Deref(r.Versions[i].VersionNumber) == ptr.Deref(r.Template.DefaultVersionNumber))
	}
}

func creator(ctx *request.Context) string {
	if ctx.Caller.ARN != "" {
		return ctx.Caller.ARN
	}
	return "arn:aws:iam::" + ctx.Account + ":root"
}

// CreateLaunchTemplate creates a template and its version 1.
func (s *EC2) CreateLaunchTemplate(ctx *request.Context, in *ec2api.CreateLaunchTemplateRequest) (*ec2api.CreateLaunchTemplateResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	name := ptr.Deref(in.LaunchTemplateName)
	if !ltNameRE.MatchString(name) {
		return nil, code("InvalidLaunchTemplateName.MalformedException").New("A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'")
	}
	if in.LaunchTemplateData == nil {
		return nil, errMissingParameter.New("The request must contain the parameter LaunchTemplateData")
	}
	data, err := ltDataFromRequest(in.LaunchTemplateData)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	now := ctx.Now().UTC().Truncate(time.Second)
	id := newID("lt")
	tags := nonNilTags(tagsFor(in.TagSpecifications, "launch-template"))
	lt := ec2api.LaunchTemplate{LaunchTemplateId: ptr.To(id), LaunchTemplateName: ptr.To(name), CreateTime: ptr.To(now), CreatedBy: ptr.To(creator(ctx)),
		DefaultVersionNumber: ptr.To(int64(1)), LatestVersionNumber: ptr.To(int64(1)), Tags: tags}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, err := findTemplate(tx, sc, "", name); err == nil {
			return code("InvalidLaunchTemplateName.AlreadyExistsException").New("Launch template name already in use.")
		}
		rec := ltRecord{Template: lt, Versions: []ec2api.LaunchTemplateVersion{{LaunchTemplateId: ptr.To(id), LaunchTemplateName: ptr.To(name), VersionNumber: ptr.To(int64(1)),
			VersionDescription: in.VersionDescription, CreateTime: ptr.To(now), CreatedBy: lt.CreatedBy, DefaultVersion: ptr.To(true), LaunchTemplateData: data}}}
		return launchTemplates.Put(tx, sc, rec, id)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.CreateLaunchTemplateResult{LaunchTemplate: &lt}, nil
}

// CreateLaunchTemplateVersion adds a version, optionally based on
// SourceVersion (its data with the request's fields laid over).
func (s *EC2) CreateLaunchTemplateVersion(ctx *request.Context, in *ec2api.CreateLaunchTemplateVersionRequest) (*ec2api.CreateLaunchTemplateVersionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.LaunchTemplateData == nil {
		return nil, errMissingParameter.New("The request must contain the parameter LaunchTemplateData")
	}
	data, err := ltDataFromRequest(in.LaunchTemplateData)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var v ec2api.LaunchTemplateVersion
	err = s.store.Update(func(tx storage.Tx) error {
		rec, err := findTemplate(tx, sc, ptr.Deref(in.LaunchTemplateId), ptr.Deref(in.LaunchTemplateName))
		if err != nil {
			return err
		}
		if len(rec.Versions) >= maxLaunchTemplateVersions {
			return code("VersionLimitExceeded").New("You have reached the maximum number of versions (%d) for this launch template.", maxLaunchTemplateVersions)
		}
		if in.SourceVersion != nil {
			src, err := rec.resolveVersion(*in.SourceVersion)
			if err != nil {
				return err
			}
			merged := &ec2api.ResponseLaunchTemplateData{}
			if err := overlay(src.LaunchTemplateData, data, merged); err != nil {
				return err
			}
			data = merged
		}
		n := ptr.Deref(rec.Template.LatestVersionNumber) + 1
		rec.Template.LatestVersionNumber = ptr.To(n)
		v = ec2api.LaunchTemplateVersion{LaunchTemplateId: rec.Template.LaunchTemplateId, LaunchTemplateName: rec.Template.LaunchTemplateName, VersionNumber: ptr.To(n),
			VersionDescription: in.VersionDescription, CreateTime: ptr.To(ctx.Now().UTC().Truncate(time.Second)), CreatedBy: ptr.To(creator(ctx)), DefaultVersion: ptr.To(false), LaunchTemplateData: data}
		rec.Versions = append(rec.Versions, v)
		return launchTemplates.Put(tx, sc, rec, ptr.Deref(rec.Template.LaunchTemplateId))
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.CreateLaunchTemplateVersionResult{LaunchTemplateVersion: &v}, nil
}

// overlay writes into out the fields of base with those set in top laid
// over them (top-level fields: a list or structure in top replaces
// base's whole).
func overlay(base, top, out any) error {
	var b, t map[string]json.RawMessage
	bb, err := json.Marshal(base)
	if err != nil {
		return err
	}
	tb, err := json.Marshal(top)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(bb, &b); err != nil {
		return err
	}
	if err := json.Unmarshal(tb, &t); err != nil {
		return err
	}
	for k, v := range t {
		if string(v) != "null" {
			b[k] = v
		}
	}
	mb, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return json.Unmarshal(mb, out)
}

// ModifyLaunchTemplate changes the default version.
func (s *EC2) ModifyLaunchTemplate(ctx *request.Context, in *ec2api.ModifyLaunchTemplateRequest) (*ec2api.ModifyLaunchTemplateResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var lt ec2api.LaunchTemplate
	err := s.store.Update(func(tx storage.Tx) error {
		rec, err := findTemplate(tx, sc, ptr.Deref(in.LaunchTemplateId), ptr.Deref(in.LaunchTemplateName))
		if err != nil {
			return err
		}
		if in.DefaultVersion != nil {
			v, err := rec.resolveVersion(*in.DefaultVersion)
			if err != nil {
				return err
			}
			rec.Template.DefaultVersionNumber = v.VersionNumber
			rec.markDefault()
		}
		lt = rec.Template
		return launchTemplates.Put(tx, sc, rec, ptr.Deref(rec.Template.LaunchTemplateId))
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.ModifyLaunchTemplateResult{LaunchTemplate: &lt}, nil
}

// DeleteLaunchTemplate deletes a template and all its versions.
func (s *EC2) DeleteLaunchTemplate(ctx *request.Context, in *ec2api.DeleteLaunchTemplateRequest) (*ec2api.DeleteLaunchTemplateResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var lt ec2api.LaunchTemplate
	err := s.store.Update(func(tx storage.Tx) error {
		rec, err := findTemplate(tx, sc, ptr.Deref(in.LaunchTemplateId), ptr.Deref(in.LaunchTemplateName))
		if err != nil {
			return err
		}
		lt = rec.Template
		return launchTemplates.Delete(tx, sc, ptr.Deref(rec.Template.LaunchTemplateId))
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.DeleteLaunchTemplateResult{LaunchTemplate: &lt}, nil
}

// DeleteLaunchTemplateVersions deletes versions; each failure is
// reported per version, as EC2 does, and the default version stays.
func (s *EC2) DeleteLaunchTemplateVersions(ctx *request.Context, in *ec2api.DeleteLaunchTemplateVersionsRequest) (*ec2api.DeleteLaunchTemplateVersionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if len(in.Versions) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter LaunchTemplateVersion")
	}
	sc := scope(ctx)
	out := &ec2api.DeleteLaunchTemplateVersionsResult{SuccessfullyDeletedLaunchTemplateVersions: []ec2api.DeleteLaunchTemplateVersionsResponseSuccessItem{},
		UnsuccessfullyDeletedLaunchTemplateVersions: []ec2api.DeleteLaunchTemplateVersionsResponseErrorItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		rec, err := findTemplate(tx, sc, ptr.Deref(in.LaunchTemplateId), ptr.Deref(in.LaunchTemplateName))
		if err != nil {
			return err
		}
		for _, vs := range in.Versions {
			n, perr := strconv.ParseInt(vs, 10, 64)
			fail := func(code, msg string) {
				out.UnsuccessfullyDeletedLaunchTemplateVersions = append(out.UnsuccessfullyDeletedLaunchTemplateVersions, ec2api.DeleteLaunchTemplateVersionsResponseErrorItem{
					LaunchTemplateId: rec.Template.LaunchTemplateId, LaunchTemplateName: rec.Template.LaunchTemplateName, VersionNumber: ptr.To(n),
					ResponseError: &ec2api.ResponseError{Code: ptr.To(code), Message: ptr.To(msg)}})
			}
			idx := -1
			for i, v := range rec.Versions {
				if perr == nil && ptr.Deref(v.VersionNumber) == n {
					idx = i
				}
			}
			switch {
			case idx < 0:
				fail("launchTemplateVersionDoesNotExist", "The specified launch template version does not exist.")
			case n == ptr.Deref(rec.Template.DefaultVersionNumber):
				fail("unexpectedError", "Cannot delete the default version of a launch template. Use DeleteLaunchTemplate to delete the template.")
			default:
				rec.Versions = append(rec.Versions[:idx], rec.Versions[idx+1:]...)
				out.SuccessfullyDeletedLaunchTemplateVersions = append(out.SuccessfullyDeletedLaunchTemplateVersions, ec2api.DeleteLaunchTemplateVersionsResponseSuccessItem{
					LaunchTemplateId: rec.Template.LaunchTemplateId, LaunchTemplateName: rec.Template.LaunchTemplateName, VersionNumber: ptr.To(n)})
			}
		}
		return launchTemplates.Put(tx, sc, rec, ptr.Deref(rec.Template.LaunchTemplateId))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func ltDoc(t *ec2api.LaunchTemplate) filter.Doc {
	d := filter.New(t.Tags).Add("launch-template-name", ptr.Deref(t.LaunchTemplateName)).Add("create-time")
	if t.CreateTime != nil {
		d.Add("create-time", t.CreateTime.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	return d
}

// page slices a sorted list by an offset token.
func pageOf[T any](items []T, maxResults *int32, nextToken *string) ([]T, *string, error) {
	start := 0
	if nextToken != nil {
		n, err := strconv.Atoi(*nextToken)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, errInvalidParameterValue.New("Invalid value '%s' for nextToken.", *nextToken)
		}
		start = n
	}
	end := len(items)
	var next *string
	if maxResults != nil && *maxResults > 0 && start+int(*maxResults) < end {
		end = start + int(*maxResults)
		next = ptr.To(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}

// DescribeLaunchTemplates lists templates by id, name and filters.
func (s *EC2) DescribeLaunchTemplates(ctx *request.Context, in *ec2api.DescribeLaunchTemplatesRequest) (*ec2api.DescribeLaunchTemplatesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, ltDoc(&ec2api.LaunchTemplate{})); err != nil {
		return nil, err
	}
	if m := in.MaxResults; m != nil && (*m < 1 || *m > 200) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Parameter must be between 1 and 200.", *m)
	}
	sc := scope(ctx)
	var all []ec2api.LaunchTemplate
	err := s.store.View(func(tx storage.Tx) error {
		for _, id := range in.LaunchTemplateIds {
			if _, err := findTemplate(tx, sc, id, ""); err != nil {
				return err
			}
		}
		for _, n := range in.LaunchTemplateNames {
			if _, err := findTemplate(tx, sc, "", n); err != nil {
				return err
			}
		}
		return launchTemplates.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v ltRecord) bool {
			t := v.Template
			if len(in.LaunchTemplateIds) > 0 && !contains(in.LaunchTemplateIds, ptr.Deref(t.LaunchTemplateId)) {
				return true
			}
			if len(in.LaunchTemplateNames) > 0 && !contains(in.LaunchTemplateNames, ptr.Deref(t.LaunchTemplateName)) {
				return true
			}
			if filter.Match(in.Filters, ltDoc(&t)) {
				all = append(all, t)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return ptr.Deref(all[i].LaunchTemplateId) < ptr.Deref(all[j].LaunchTemplateId) })
	items, next, err := pageOf(all, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeLaunchTemplatesResult{LaunchTemplates: append([]ec2api.LaunchTemplate{}, items...), NextToken: next}, nil
}

func ltVersionDoc(v *ec2api.LaunchTemplateVersion) filter.Doc {
	d := filter.New(nil).Add("is-default-version", boolStr(ptr.Deref(v.DefaultVersion))).Add("create-time").Add("image-id").Add("instance-type").Add("kernel-id").
		Add("ram-disk-id").Add("ebs-optimized").Add("iam-instance-profile").Add("disable-api-termination").Add("disable-api-stop").Add("host-resource-group-arn").
		Add("license-configuration-arn").Add("network-card-index").Add("http-endpoint").Add("http-protocol-ipv4").Add("host-resource-group-arn").Add("metadata-options.http-endpoint").
		Add("metadata-options.http-protocol-ipv6").Add("metadata-options.http-put-response-hop-limit").Add("metadata-options.http-tokens").Add("metadata-options.instance-metadata-tags")
	if v.CreateTime != nil {
		d.Add("create-time", v.CreateTime.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	if x := v.LaunchTemplateData; x != nil {
		d.Add("image-id", ptr.Deref(x.ImageId)).Add("instance-type", ptr.Deref(x.InstanceType)).Add("kernel-id", ptr.Deref(x.KernelId)).Add("ram-disk-id", ptr.Deref(x.RamDiskId))
		if x.EbsOptimized != nil {
			d.Add("ebs-optimized", boolStr(*x.EbsOptimized))
		}
		if x.DisableApiTermination != nil {
			d.Add("disable-api-termination", boolStr(*x.DisableApiTermination))
		}
		if p := x.IamInstanceProfile; p != nil {
			d.Add("iam-instance-profile", ptr.Deref(p.Arn), ptr.Deref(p.Name))
		}
	}
	return d
}

// DescribeLaunchTemplateVersions lists versions of one template (by
// number, $Latest, $Default, a range) or, with no template named, the
// $Latest/$Default versions of all.
func (s *EC2) DescribeLaunchTemplateVersions(ctx *request.Context, in *ec2api.DescribeLaunchTemplateVersionsRequest) (*ec2api.DescribeLaunchTemplateVersionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, ltVersionDoc(&ec2api.LaunchTemplateVersion{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var all []ec2api.LaunchTemplateVersion
	err := s.store.View(func(tx storage.Tx) error {
		var recs []ltRecord
		if in.LaunchTemplateId != nil || in.LaunchTemplateName != nil {
			rec, err := findTemplate(tx, sc, ptr.Deref(in.LaunchTemplateId), ptr.Deref(in.LaunchTemplateName))
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		} else {
			for _, v := range in.Versions {
				if v != "$Latest" && v != "$Default" {
					return errInvalidParameterValue.New("When you specify a version number, you must specify a launch template ID or launch template name.")
				}
			}
			if err := launchTemplates.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v ltRecord) bool {
				recs = append(recs, v)
				return true
			}); err != nil {
				return err
			}
		}
		var minV, maxV int64 = 0, 1 << 62
		if in.MinVersion != nil {
			x, err := strconv.ParseInt(*in.MinVersion, 10, 64)
			if err != nil {
				return errInvalidParameterValue.New("Invalid value '%s' for MinVersion.", *in.MinVersion)
			}
			minV = x
		}
		if in.MaxVersion != nil {
			x, err := strconv.ParseInt(*in.MaxVersion, 10, 64)
			if err != nil {
				return errInvalidParameterValue.New("Invalid value '%s' for MaxVersion.", *in.MaxVersion)
			}
			maxV = x
		}
		for i := range recs {
			rec := &recs[i]
			if len(in.Versions) > 0 {
				seen := map[int64]bool{}
				for _, vs := range in.Versions {
					v, err := rec.resolveVersion(vs)
					if err != nil {
						return err
					}
					if !seen[ptr.Deref(v.VersionNumber)] {
						seen[ptr.Deref(v.VersionNumber)] = true
						all = append(all, *v)
					}
				}
				continue
			}
			for _, v := range rec.Versions {
				if n := ptr.Deref(v.VersionNumber); n >= minV && n <= maxV {
					all = append(all, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var kept []ec2api.LaunchTemplateVersion
	for _, v := range all {
		if filter.Match(in.Filters, ltVersionDoc(&v)) {
			kept = append(kept, v)
		}
	}
	// EC2 lists versions newest first.
	sort.SliceStable(kept, func(i, j int) bool {
		if a, b := ptr.Deref(kept[i].LaunchTemplateId), ptr.Deref(kept[j].LaunchTemplateId); a != b {
			return a < b
		}
		return ptr.Deref(kept[i].VersionNumber) > ptr.Deref(kept[j].VersionNumber)
	})
	items, next, err := pageOf(kept, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeLaunchTemplateVersionsResult{LaunchTemplateVersions: append([]ec2api.LaunchTemplateVersion{}, items...), NextToken: next}, nil
}

// GetLaunchTemplateData answers the launch parameters of an instance as
// launch template data.
func (s *EC2) GetLaunchTemplateData(ctx *request.Context, in *ec2api.GetLaunchTemplateDataRequest) (*ec2api.GetLaunchTemplateDataResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	d, err := s.DescribeInstances(ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{ptr.Deref(in.InstanceId)}})
	if err != nil {
		return nil, err
	}
	if len(d.Reservations) == 0 || len(d.Reservations[0].Instances) == 0 {
		return nil, errInstanceNotFound.New("The instance ID '%s' does not exist", ptr.Deref(in.InstanceId))
	}
	o := d.Reservations[0].Instances[0]
	data := &ec2api.ResponseLaunchTemplateData{ImageId: o.ImageId, InstanceType: o.InstanceType, KeyName: o.KeyName, EbsOptimized: o.EbsOptimized, KernelId: o.KernelId, RamDiskId: o.RamdiskId}
	for _, g := range o.SecurityGroups {
		data.SecurityGroupIds = append(data.SecurityGroupIds, ptr.Deref(g.GroupId))
	}
	if o.Placement != nil {
		data.Placement = &ec2api.LaunchTemplatePlacement{AvailabilityZone: o.Placement.AvailabilityZone, Tenancy: o.Placement.Tenancy, GroupName: o.Placement.GroupName}
	}
	if o.Monitoring != nil {
		data.Monitoring = &ec2api.LaunchTemplatesMonitoring{Enabled: ptr.To(ptr.Deref(o.Monitoring.State) == "enabled")}
	}
	if o.IamInstanceProfile != nil {
		data.IamInstanceProfile = &ec2api.LaunchTemplateIamInstanceProfileSpecification{Arn: o.IamInstanceProfile.Arn}
	}
	for _, ni := range o.NetworkInterfaces {
		spec := ec2api.LaunchTemplateInstanceNetworkInterfaceSpecification{NetworkInterfaceId: ni.NetworkInterfaceId, SubnetId: ni.SubnetId, Description: ni.Description,
			PrivateIpAddress: ni.PrivateIpAddress}
		if ni.Attachment != nil {
			spec.DeviceIndex = ni.Attachment.DeviceIndex
			spec.DeleteOnTermination = ni.Attachment.DeleteOnTermination
		}
		for _, g := range ni.Groups {
			spec.Groups = append(spec.Groups, ptr.Deref(g.GroupId))
		}
		data.NetworkInterfaces = append(data.NetworkInterfaces, spec)
	}
	if len(o.Tags) > 0 {
		data.TagSpecifications = []ec2api.LaunchTemplateTagSpecification{{ResourceType: ptr.To("instance"), Tags: o.Tags}}
	}
	return &ec2api.GetLaunchTemplateDataResult{LaunchTemplateData: data}, nil
}

// applyLaunchTemplate lays the request of RunInstances over the launch
// template version it names: a parameter in the request wins over the
// template's, as EC2 merges them.
func (s *EC2) applyLaunchTemplate(ctx *request.Context, in *ec2api.RunInstancesRequest) (*ec2api.RunInstancesRequest, error) {
	spec := in.LaunchTemplate
	var data *ec2api.ResponseLaunchTemplateData
	err := s.store.View(func(tx storage.Tx) error {
		rec, err := findTemplate(tx, scope(ctx), ptr.Deref(spec.LaunchTemplateId), ptr.Deref(spec.LaunchTemplateName))
		if err != nil {
			return err
		}
		v, err := rec.resolveVersion(ptr.Deref(spec.Version))
		if err != nil {
			return err
		}
		data = v.LaunchTemplateData
		return nil
	})
	if err != nil {
		return nil, err
	}
	base := &ec2api.RunInstancesRequest{}
	if data != nil {
		if err := convertShape(data, base); err != nil {
			return nil, err
		}
		base.RamdiskId = data.RamDiskId
	}
	out := &ec2api.RunInstancesRequest{}
	if err := overlay(base, in, out); err != nil {
		return nil, fmt.Errorf("merging launch template: %w", err)
	}
	out.LaunchTemplate = nil
	return out, nil
}
