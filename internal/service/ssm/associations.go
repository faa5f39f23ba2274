package ssm

import (
	"sort"
	"strconv"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// State Manager associations at API level: they are stored, versioned,
// described and listed; niwa does not apply them on their schedule (the
// overview stays Pending), which docs/ssm.md says.

// associations are stored as the API describes them, keyed by id.
var associations = storage.NewTable[ssmapi.AssociationDescription]("association")

func assocMissing() error {
	return ssmapi.ErrAssociationDoesNotExist.New("The specified association does not exist.")
}

// CreateAssociation binds a document to targets (or one instance).
func (s *SSM) CreateAssociation(ctx *request.Context, in *ssmapi.CreateAssociationRequest) (*ssmapi.CreateAssociationResult, error) {
	name := ptr.Deref(in.Name)
	if in.InstanceId != nil && len(in.Targets) > 0 {
		return nil, ssmapi.ErrInvalidTarget.New("InstanceId and Targets can't be specified together.")
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	a := ssmapi.AssociationDescription{
		Name: ptr.To(name), InstanceId: in.InstanceId, AssociationVersion: ptr.To("1"), Date: ptr.To(now), LastUpdateAssociationDate: ptr.To(now),
		Overview:   &ssmapi.AssociationOverview{Status: ptr.To("Pending"), DetailedStatus: ptr.To("Creating")},
		Parameters: in.Parameters, AssociationId: ptr.To(awsid.UUID()), Targets: in.Targets, ScheduleExpression: in.ScheduleExpression,
		OutputLocation: in.OutputLocation, AssociationName: in.AssociationName, MaxErrors: in.MaxErrors, MaxConcurrency: in.MaxConcurrency,
		ComplianceSeverity: in.ComplianceSeverity, SyncCompliance: in.SyncCompliance, ApplyOnlyAtCronInterval: ptr.To(ptr.Deref(in.ApplyOnlyAtCronInterval)),
		CalendarNames: in.CalendarNames, ScheduleOffset: in.ScheduleOffset, Duration: in.Duration, TargetMaps: in.TargetMaps,
		AutomationTargetParameterName: in.AutomationTargetParameterName,
	}
	if in.InstanceId != nil {
		a.Targets = []ssmapi.Target{{Key: ptr.To("InstanceIds"), Values: []string{ptr.Deref(in.InstanceId)}}}
	}
	err := s.store.Update(func(tx storage.Tx) error {
		d, ok, err := s.document(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return docMissing(name)
		}
		v, err := d.pick(ptr.Deref(in.DocumentVersion), "")
		if err != nil {
			return err
		}
		a.DocumentVersion = ptr.To(orDefault(ptr.Deref(in.DocumentVersion), "$DEFAULT"))
		_ = v
		if n := ptr.Deref(in.AssociationName); n != "" {
			dup := false
			if err := associations.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, x ssmapi.AssociationDescription) bool {
				dup = dup || ptr.Deref(x.AssociationName) == n
				return !dup
			}); err != nil {
				return err
			}
			if dup {
				return ssmapi.ErrAssociationAlreadyExists.New("The specified association already exists.")
			}
		}
		if err := associations.Put(tx, sc, a, ptr.Deref(a.AssociationId)); err != nil {
			return err
		}
		return associationVersions.Put(tx, sc, a, ptr.Deref(a.AssociationId), "1")
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.CreateAssociationResult{AssociationDescription: &a}, nil
}

// associationVersions keep every version of an association.
var associationVersions = storage.NewTable[ssmapi.AssociationDescription]("association-version")

// findAssociation finds an association by id, or by document name and
// instance id (the old form).
func (s *SSM) findAssociation(tx storage.Tx, sc storage.Scope, id, name, instance string) (ssmapi.AssociationDescription, error) {
	if id != "" {
		a, ok, err := associations.Get(tx, sc, id)
		if err != nil {
			return a, err
		}
		if !ok {
			return a, assocMissing()
		}
		return a, nil
	}
	var found *ssmapi.AssociationDescription
	err := associations.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, x ssmapi.AssociationDescription) bool {
		if ptr.Deref(x.Name) == name && ptr.Deref(x.InstanceId) == instance && instance != "" {
			found = &x
			return false
		}
		return true
	})
	if err != nil {
		return ssmapi.AssociationDescription{}, err
	}
	if found == nil {
		return ssmapi.AssociationDescription{}, assocMissing()
	}
	return *found, nil
}

// DescribeAssociation describes an association (a version of it).
func (s *SSM) DescribeAssociation(ctx *request.Context, in *ssmapi.DescribeAssociationRequest) (*ssmapi.DescribeAssociationResult, error) {
	sc := scope(ctx)
	var a ssmapi.AssociationDescription
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		a, err = s.findAssociation(tx, sc, ptr.Deref(in.AssociationId), ptr.Deref(in.Name), ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if v := ptr.Deref(in.AssociationVersion); v != "" && v != "$LATEST" && v != ptr.Deref(a.AssociationVersion) {
			old, ok, err := associationVersions.Get(tx, sc, ptr.Deref(a.AssociationId), v)
			if err != nil {
				return err
			}
			if !ok {
				return ssmapi.ErrInvalidAssociationVersion.New("The version you specified is not valid.")
			}
			a = old
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.DescribeAssociationResult{AssociationDescription: &a}, nil
}

// ListAssociations lists associations; filters: InstanceId, Name,
// AssociationId, AssociationName, AssociationStatusName.
func (s *SSM) ListAssociations(ctx *request.Context, in *ssmapi.ListAssociationsRequest) (*ssmapi.ListAssociationsResult, error) {
	max := int(ptr.Deref(in.MaxResults))
	if max == 0 {
		max = 50
	}
	after := ""
	if t := ptr.Deref(in.NextToken); t != "" {
		k, err := decodeToken(t)
		if err != nil {
			return nil, err
		}
		after = k
	}
	var all []ssmapi.AssociationDescription
	err := s.store.View(func(tx storage.Tx) error {
		return associations.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, a ssmapi.AssociationDescription) bool {
			all = append(all, a)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return ptr.Deref(all[i].AssociationId) < ptr.Deref(all[j].AssociationId) })
	out := &ssmapi.ListAssociationsResult{Associations: []ssmapi.Association{}}
	for _, a := range all {
		if after != "" && ptr.Deref(a.AssociationId) <= after {
			continue
		}
		match := true
		for _, f := range in.AssociationFilterList {
			v := ptr.Deref(f.Value)
			switch ptr.Deref(f.Key) {
			case "InstanceId":
				hit := ptr.Deref(a.InstanceId) == v
				for _, t := range a.Targets {
					for _, x := range t.Values {
						hit = hit || (ptr.Deref(t.Key) == "InstanceIds" && x == v)
					}
				}
				match = match && hit
			case "Name":
				match = match && ptr.Deref(a.Name) == v
			case "AssociationId":
				match = match && ptr.Deref(a.AssociationId) == v
			case "AssociationName":
				match = match && ptr.Deref(a.AssociationName) == v
			case "AssociationStatusName":
				match = match && a.Overview != nil && ptr.Deref(a.Overview.Status) == v
			default:
				match = match && true
			}
		}
		if !match {
			continue
		}
		if len(out.Associations) == max {
			out.NextToken = ptr.To(encodeToken(ptr.Deref(out.Associations[max-1].AssociationId)))
			break
		}
		out.Associations = append(out.Associations, ssmapi.Association{Name: a.Name, InstanceId: a.InstanceId, AssociationId: a.AssociationId,
			AssociationVersion: a.AssociationVersion, DocumentVersion: a.DocumentVersion, Targets: a.Targets, Overview: a.Overview,
			ScheduleExpression: a.ScheduleExpression, AssociationName: a.AssociationName, ScheduleOffset: a.ScheduleOffset, Duration: a.Duration, TargetMaps: a.TargetMaps})
	}
	return out, nil
}

// UpdateAssociation makes a new version of an association.
func (s *SSM) UpdateAssociation(ctx *request.Context, in *ssmapi.UpdateAssociationRequest) (*ssmapi.UpdateAssociationResult, error) {
	sc := scope(ctx)
	var a ssmapi.AssociationDescription
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		a, err = s.findAssociation(tx, sc, ptr.Deref(in.AssociationId), "", "")
		if err != nil {
			return err
		}
		if v := ptr.Deref(in.AssociationVersion); v != "" && v != "$LATEST" && v != ptr.Deref(a.AssociationVersion) {
			return ssmapi.ErrInvalidAssociationVersion.New("Association version %s is not the latest version.", v)
		}
		if in.Name != nil {
			if _, ok, err := s.document(tx, sc, ptr.Deref(in.Name)); err != nil || !ok {
				if err == nil {
					err = docMissing(ptr.Deref(in.Name))
				}
				return err
			}
			a.Name = in.Name
		}
		if in.Parameters != nil {
			a.Parameters = in.Parameters
		}
		if in.DocumentVersion != nil {
			a.DocumentVersion = in.DocumentVersion
		}
		if in.ScheduleExpression != nil {
			a.ScheduleExpression = in.ScheduleExpression
		}
		if in.OutputLocation != nil {
			a.OutputLocation = in.OutputLocation
		}
		if len(in.Targets) > 0 {
			a.Targets = in.Targets
		}
		if in.AssociationName != nil {
			a.AssociationName = in.AssociationName
		}
		if in.MaxErrors != nil {
			a.MaxErrors = in.MaxErrors
		}
		if in.MaxConcurrency != nil {
			a.MaxConcurrency = in.MaxConcurrency
		}
		if in.ComplianceSeverity != nil {
			a.ComplianceSeverity = in.ComplianceSeverity
		}
		if in.ApplyOnlyAtCronInterval != nil {
			a.ApplyOnlyAtCronInterval = in.ApplyOnlyAtCronInterval
		}
		if in.ScheduleOffset != nil {
			a.ScheduleOffset = in.ScheduleOffset
		}
		n, _ := strconv.Atoi(ptr.Deref(a.AssociationVersion))
		a.AssociationVersion = ptr.To(strconv.Itoa(n + 1))
		a.LastUpdateAssociationDate = ptr.To(ctx.Now().UTC())
		if err := associations.Put(tx, sc, a, ptr.Deref(a.AssociationId)); err != nil {
			return err
		}
		return associationVersions.Put(tx, sc, a, ptr.Deref(a.AssociationId), ptr.Deref(a.AssociationVersion))
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.UpdateAssociationResult{AssociationDescription: &a}, nil
}

// DeleteAssociation deletes an association and its versions.
func (s *SSM) DeleteAssociation(ctx *request.Context, in *ssmapi.DeleteAssociationRequest) (*ssmapi.DeleteAssociationResult, error) {
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		a, err := s.findAssociation(tx, sc, ptr.Deref(in.AssociationId), ptr.Deref(in.Name), ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		id := ptr.Deref(a.AssociationId)
		var versions []string
		if err := associationVersions.List(tx, sc, []string{id}, storage.ListOptions{}, func(k []string, _ ssmapi.AssociationDescription) bool {
			versions = append(versions, k[len(k)-1])
			return true
		}); err != nil {
			return err
		}
		for _, v := range versions {
			if err := associationVersions.Delete(tx, sc, id, v); err != nil {
				return err
			}
		}
		return associations.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.DeleteAssociationResult{}, nil
}

// documentAssociated reports whether an association uses the document.
func (s *SSM) documentAssociated(tx storage.Tx, sc storage.Scope, name string) (bool, error) {
	used := false
	err := associations.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, a ssmapi.AssociationDescription) bool {
		used = ptr.Deref(a.Name) == name
		return !used
	})
	return used, err
}
