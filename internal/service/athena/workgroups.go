package athena

import (
	"sort"
	"strings"
	"time"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// workgroupRecord is a stored workgroup.
type workgroupRecord struct {
	WorkGroup athenaapi.WorkGroup
	Tags      []athenaapi.Tag
}

// defaultPrimary is the primary workgroup before anyone changed it.
func defaultPrimary() workgroupRecord {
	return workgroupRecord{WorkGroup: athenaapi.WorkGroup{Name: ptr.To(primary), State: ptr.To("ENABLED"),
		Description: ptr.To(""), CreationTime: ptr.To(time.Unix(0, 0).UTC()),
		Configuration: &athenaapi.WorkGroupConfiguration{EnforceWorkGroupConfiguration: ptr.To(false),
			PublishCloudWatchMetricsEnabled: ptr.To(false), RequesterPaysEnabled: ptr.To(false),
			EngineVersion: engineVersion(nil)}}}
}

func workgroupNotFound(name string) error {
	return athenaapi.ErrInvalidRequestException.New("WorkGroup %s is not found.", name).With("AthenaErrorCode", "INVALID_INPUT")
}

// getWorkgroup reads a workgroup; primary exists unless stored otherwise.
func getWorkgroup(tx storage.Tx, sc storage.Scope, name string) (workgroupRecord, error) {
	if name == "" {
		name = primary
	}
	w, ok, err := workgroups.Get(tx, sc, name)
	if err != nil {
		return w, err
	}
	if !ok {
		if name == primary {
			return defaultPrimary(), nil
		}
		return w, workgroupNotFound(name)
	}
	return w, nil
}

// CreateWorkGroup creates a workgroup.
func (a *Athena) CreateWorkGroup(ctx *request.Context, in *athenaapi.CreateWorkGroupInput) (*athenaapi.CreateWorkGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	cfg := in.Configuration
	if cfg == nil {
		cfg = &athenaapi.WorkGroupConfiguration{}
	}
	if cfg.EnforceWorkGroupConfiguration == nil {
		cfg.EnforceWorkGroupConfiguration = ptr.To(true)
	}
	if cfg.PublishCloudWatchMetricsEnabled == nil {
		cfg.PublishCloudWatchMetricsEnabled = ptr.To(true)
	}
	if cfg.RequesterPaysEnabled == nil {
		cfg.RequesterPaysEnabled = ptr.To(false)
	}
	var sel *string
	if cfg.EngineVersion != nil {
		sel = cfg.EngineVersion.SelectedEngineVersion
	}
	if err := checkEngineVersion(sel); err != nil {
		return nil, err
	}
	cfg.EngineVersion = engineVersion(sel)
	if err := checkOutputLocation(cfg.ResultConfiguration); err != nil {
		return nil, err
	}
	w := workgroupRecord{WorkGroup: athenaapi.WorkGroup{Name: &name, State: ptr.To("ENABLED"), Configuration: cfg,
		Description: in.Description, CreationTime: ptr.To(ctx.Now().UTC())}, Tags: in.Tags}
	err := a.store.Update(func(tx storage.Tx) error {
		if _, ok, err := workgroups.Get(tx, sc, name); err != nil {
			return err
		} else if ok || name == primary {
			return athenaapi.ErrInvalidRequestException.New("WorkGroup is already created").With("AthenaErrorCode", "INVALID_INPUT")
		}
		return workgroups.Put(tx, sc, w, name)
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.CreateWorkGroupOutput{}, nil
}

// checkEngineVersion accepts the engine versions Athena offers; every
// one runs on niwa's engine (Trino's dialect).
func checkEngineVersion(sel *string) error {
	switch v := ptr.Deref(sel); v {
	case "", "AUTO", "Athena engine version 3", "Athena engine version 2":
		return nil
	default:
		return athenaapi.ErrInvalidRequestException.New("Invalid engine version: %s", v).With("AthenaErrorCode", "INVALID_INPUT")
	}
}

// checkOutputLocation refuses an output location that is not an S3 URL.
func checkOutputLocation(rc *athenaapi.ResultConfiguration) error {
	if rc == nil || rc.OutputLocation == nil {
		return nil
	}
	if _, _, ok := parseS3(*rc.OutputLocation); !ok {
		return athenaapi.ErrInvalidRequestException.New("outputLocation is not a valid S3 path. Provided %s", *rc.OutputLocation).With("AthenaErrorCode", "INVALID_INPUT")
	}
	return nil
}

// parseS3 splits s3://bucket/key.
func parseS3(u string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		rest, ok = strings.CutPrefix(u, "s3a://")
	}
	if !ok {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, bucket != ""
}

// GetWorkGroup describes a workgroup.
func (a *Athena) GetWorkGroup(ctx *request.Context, in *athenaapi.GetWorkGroupInput) (*athenaapi.GetWorkGroupOutput, error) {
	var w workgroupRecord
	err := a.store.View(func(tx storage.Tx) error {
		var err error
		w, err = getWorkgroup(tx, scope(ctx), ptr.Deref(in.WorkGroup))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.GetWorkGroupOutput{WorkGroup: &w.WorkGroup}, nil
}

// ListWorkGroups lists the workgroups, primary included.
func (a *Athena) ListWorkGroups(ctx *request.Context, in *athenaapi.ListWorkGroupsInput) (*athenaapi.ListWorkGroupsOutput, error) {
	sc := scope(ctx)
	byName := map[string]workgroupRecord{primary: defaultPrimary()}
	err := a.store.View(func(tx storage.Tx) error {
		return workgroups.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, w workgroupRecord) bool {
			byName[ptr.Deref(w.WorkGroup.Name)] = w
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	list, next := pageStrings(names, in.NextToken, in.MaxResults, 50)
	out := &athenaapi.ListWorkGroupsOutput{NextToken: next, WorkGroups: []athenaapi.WorkGroupSummary{}}
	for _, n := range list {
		w := byName[n].WorkGroup
		var ev *athenaapi.EngineVersion
		if w.Configuration != nil {
			ev = w.Configuration.EngineVersion
		}
		out.WorkGroups = append(out.WorkGroups, athenaapi.WorkGroupSummary{Name: w.Name, State: w.State, Description: w.Description,
			CreationTime: w.CreationTime, EngineVersion: ev})
	}
	return out, nil
}

// pageStrings cuts a sorted list at NextToken (the last item of the
// previous page) and MaxResults.
func pageStrings(all []string, token *string, max *int32, limit int) ([]string, *string) {
	if t := ptr.Deref(token); t != "" {
		i := sort.SearchStrings(all, t)
		for i < len(all) && all[i] <= t {
			i++
		}
		all = all[i:]
	}
	n := limit
	if max != nil && *max > 0 && int(*max) < n {
		n = int(*max)
	}
	if len(all) > n {
		return all[:n], ptr.To(all[n-1])
	}
	return all, nil
}

// UpdateWorkGroup changes a workgroup's configuration, state or
// description.
func (a *Athena) UpdateWorkGroup(ctx *request.Context, in *athenaapi.UpdateWorkGroupInput) (*athenaapi.UpdateWorkGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.WorkGroup)
	err := a.store.Update(func(tx storage.Tx) error {
		w, err := getWorkgroup(tx, sc, name)
		if err != nil {
			return err
		}
		if in.Description != nil {
			w.WorkGroup.Description = in.Description
		}
		if in.State != nil {
			w.WorkGroup.State = in.State
		}
		if u := in.ConfigurationUpdates; u != nil {
			c := w.WorkGroup.Configuration
			if c == nil {
				c = &athenaapi.WorkGroupConfiguration{}
			}
			if u.EnforceWorkGroupConfiguration != nil {
				c.EnforceWorkGroupConfiguration = u.EnforceWorkGroupConfiguration
			}
			if u.PublishCloudWatchMetricsEnabled != nil {
				c.PublishCloudWatchMetricsEnabled = u.PublishCloudWatchMetricsEnabled
			}
			if u.RequesterPaysEnabled != nil {
				c.RequesterPaysEnabled = u.RequesterPaysEnabled
			}
			if u.BytesScannedCutoffPerQuery != nil {
				c.BytesScannedCutoffPerQuery = u.BytesScannedCutoffPerQuery
			}
			if ptr.Deref(u.RemoveBytesScannedCutoffPerQuery) {
				c.BytesScannedCutoffPerQuery = nil
			}
			if u.EngineVersion != nil {
				if err := checkEngineVersion(u.EngineVersion.SelectedEngineVersion); err != nil {
					return err
				}
				c.EngineVersion = engineVersion(u.EngineVersion.SelectedEngineVersion)
			}
			if r := u.ResultConfigurationUpdates; r != nil {
				rc := c.ResultConfiguration
				if rc == nil {
					rc = &athenaapi.ResultConfiguration{}
				}
				if r.OutputLocation != nil {
					rc.OutputLocation = r.OutputLocation
				}
				if ptr.Deref(r.RemoveOutputLocation) {
					rc.OutputLocation = nil
				}
				if r.EncryptionConfiguration != nil {
					rc.EncryptionConfiguration = r.EncryptionConfiguration
				}
				if ptr.Deref(r.RemoveEncryptionConfiguration) {
					rc.EncryptionConfiguration = nil
				}
				if r.ExpectedBucketOwner != nil {
					rc.ExpectedBucketOwner = r.ExpectedBucketOwner
				}
				if ptr.Deref(r.RemoveExpectedBucketOwner) {
					rc.ExpectedBucketOwner = nil
				}
				if err := checkOutputLocation(rc); err != nil {
					return err
				}
				c.ResultConfiguration = rc
			}
			w.WorkGroup.Configuration = c
		}
		return workgroups.Put(tx, sc, w, ptr.Deref(w.WorkGroup.Name))
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.UpdateWorkGroupOutput{}, nil
}

// DeleteWorkGroup deletes a workgroup; primary cannot be deleted.
func (a *Athena) DeleteWorkGroup(ctx *request.Context, in *athenaapi.DeleteWorkGroupInput) (*athenaapi.DeleteWorkGroupOutput, error) {
	name := ptr.Deref(in.WorkGroup)
	if name == primary {
		return nil, athenaapi.ErrInvalidRequestException.New("Primary WorkGroup cannot be deleted.").With("AthenaErrorCode", "INVALID_INPUT")
	}
	sc := scope(ctx)
	err := a.store.Update(func(tx storage.Tx) error {
		ok, err := workgroups.DeleteExisting(tx, sc, name)
		if err == nil && !ok {
			err = workgroupNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.DeleteWorkGroupOutput{}, nil
}
