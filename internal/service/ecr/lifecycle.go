package ecr

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// lifecyclePolicy is a repository lifecycle policy document
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html).
type lifecyclePolicy struct {
	Rules []lifecycleRule `json:"rules"`
}

type lifecycleRule struct {
	RulePriority *int32             `json:"rulePriority"`
	Description  string             `json:"description,omitempty"`
	Selection    *lifecycleSelector `json:"selection"`
	Action       *struct {
		Type string `json:"type"`
	} `json:"action"`
}

type lifecycleSelector struct {
	TagStatus      string   `json:"tagStatus"`
	TagPrefixList  []string `json:"tagPrefixList,omitempty"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"`
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    *int64   `json:"countNumber"`
}

// lifecycleInvalid is ECR's refusal of a lifecycle policy document.
func lifecycleInvalid(why string) error {
	return invalidParam("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: %s'", why)
}

// parseLifecycle checks a lifecycle policy as ECR does and returns its
// rules by priority.
func parseLifecycle(text string) (lifecyclePolicy, error) {
	var p lifecyclePolicy
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || dec.More() {
		return p, lifecycleInvalid("Could not map policyString into LifecyclePolicy.")
	}
	if len(p.Rules) == 0 {
		return p, lifecycleInvalid("object has too few items in \"rules\" (minimum: 1)")
	}
	seen := map[int32]bool{}
	for _, r := range p.Rules {
		switch {
		case r.RulePriority == nil:
			return p, lifecycleInvalid("object has missing required properties ([\"rulePriority\"])")
		case *r.RulePriority < 1:
			return p, lifecycleInvalid(fmt.Sprintf("numeric instance is lower than the required minimum (minimum: 1, found: %d)", *r.RulePriority))
		case seen[*r.RulePriority]:
			return p, lifecycleInvalid(fmt.Sprintf("Rule priority %d is used more than once.", *r.RulePriority))
		case r.Selection == nil || r.Action == nil:
			return p, lifecycleInvalid("object has missing required properties ([\"action\",\"selection\"])")
		case strings.ToLower(r.Action.Type) != "expire":
			return p, lifecycleInvalid(fmt.Sprintf("instance value (\"%s\") not found in enum (possible values: [\"expire\"])", r.Action.Type))
		}
		seen[*r.RulePriority] = true
		sel := r.Selection
		switch sel.TagStatus {
		case "tagged":
			if len(sel.TagPrefixList) == 0 && len(sel.TagPatternList) == 0 {
				return p, lifecycleInvalid("'tagPrefixList' or 'tagPatternList' must be specified when 'tagStatus' is set to 'tagged'.")
			}
			if len(sel.TagPrefixList) > 0 && len(sel.TagPatternList) > 0 {
				return p, lifecycleInvalid("'tagPrefixList' and 'tagPatternList' cannot both be specified.")
			}
		case "untagged", "any":
			if len(sel.TagPrefixList) > 0 || len(sel.TagPatternList) > 0 {
				return p, lifecycleInvalid("'tagPrefixList' and 'tagPatternList' can only be specified when 'tagStatus' is set to 'tagged'.")
			}
		default:
			return p, lifecycleInvalid(fmt.Sprintf("instance value (\"%s\") not found in enum (possible values: [\"tagged\",\"untagged\",\"any\"])", sel.TagStatus))
		}
		switch sel.CountType {
		case "imageCountMoreThan":
			if sel.CountUnit != "" {
				return p, lifecycleInvalid("'countUnit' cannot be specified when 'countType' is 'imageCountMoreThan'.")
			}
		case "sinceImagePushed":
			if sel.CountUnit != "days" {
				return p, lifecycleInvalid("'countUnit' must be 'days' when 'countType' is 'sinceImagePushed'.")
			}
		default:
			return p, lifecycleInvalid(fmt.Sprintf("instance value (\"%s\") not found in enum (possible values: [\"imageCountMoreThan\",\"sinceImagePushed\"])", sel.CountType))
		}
		if sel.CountNumber == nil || *sel.CountNumber < 1 {
			return p, lifecycleInvalid("'countNumber' must be a positive integer.")
		}
	}
	sort.Slice(p.Rules, func(i, j int) bool { return *p.Rules[i].RulePriority < *p.Rules[j].RulePriority })
	// A rule selecting any image must come last: nothing of lower
	// priority could ever select an image it did not.
	for i, r := range p.Rules {
		if r.Selection.TagStatus == "any" && i != len(p.Rules)-1 {
			return p, lifecycleInvalid("Rule with tagStatus 'any' must have the highest value for 'rulePriority'.")
		}
	}
	return p, nil
}

// selects reports whether a rule's tag filters select an image.
func (sel *lifecycleSelector) selects(tags []string) bool {
	switch sel.TagStatus {
	case "untagged":
		return len(tags) == 0
	case "any":
		return true
	}
	if len(tags) == 0 {
		return false
	}
	// Every prefix (or pattern) of the list must match one of the
	// image's tags.
	for _, pre := range sel.TagPrefixList {
		if !anyTag(tags, func(t string) bool { return strings.HasPrefix(t, pre) }) {
			return false
		}
	}
	for _, pat := range sel.TagPatternList {
		if !anyTag(tags, func(t string) bool { return iam.Glob(pat, t) }) {
			return false
		}
	}
	return true
}

func anyTag(tags []string, f func(string) bool) bool {
	for _, t := range tags {
		if f(t) {
			return true
		}
	}
	return false
}

// evaluate returns the images p expires at now: each image is considered
// by the rules in priority order, and the first rule whose tag filters
// select it decides for it (a rule of lower priority never expires an
// image a higher one selected).
func (p lifecyclePolicy) evaluate(imgs []imageRecord, now time.Time) []previewResult {
	claimed := map[string]bool{}
	var out []previewResult
	for _, r := range p.Rules {
		var sel []imageRecord
		for _, im := range imgs {
			if !claimed[im.Digest] && r.Selection.selects(im.Tags) {
				sel = append(sel, im)
				claimed[im.Digest] = true
			}
		}
		// Newest first.
		sort.SliceStable(sel, func(i, j int) bool { return sel[i].PushedAt.After(sel[j].PushedAt) })
		n := *r.Selection.CountNumber
		for i, im := range sel {
			expire := false
			switch r.Selection.CountType {
			case "imageCountMoreThan":
				expire = int64(i) >= n
			case "sinceImagePushed":
				// In days, as floats: a count of days past
				// time.Duration's range never overflows.
				expire = now.Sub(im.PushedAt).Hours()/24 > float64(n)
			}
			if expire {
				out = append(out, previewResult{Digest: im.Digest, Tags: im.Tags, PushedAt: im.PushedAt, Priority: *r.RulePriority})
			}
		}
	}
	return out
}

// PutLifecyclePolicy sets a repository's lifecycle policy. niwa checks
// and stores it and previews it; it does not expire images on its own.
func (s *ECR) PutLifecyclePolicy(ctx *request.Context, in *ecrapi.PutLifecyclePolicyRequest) (*ecrapi.PutLifecyclePolicyResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	text := ptr.Deref(in.LifecyclePolicyText)
	if _, err := parseLifecycle(text); err != nil {
		return nil, err
	}
	now := ctx.Now()
	if _, err := s.updateRepo(t, name, func(r *repoRecord) error {
		r.Lifecycle, r.LifecycleAt = text, &now
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.PutLifecyclePolicyResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, LifecyclePolicyText: &text}, nil
}

func lifecycleNotFound(t target, name string) error {
	return ecrapi.ErrLifecyclePolicyNotFoundException.New("Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", name, t.id())
}

// GetLifecyclePolicy returns the lifecycle policy.
func (s *ECR) GetLifecyclePolicy(ctx *request.Context, in *ecrapi.GetLifecyclePolicyRequest) (*ecrapi.GetLifecyclePolicyResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	r, err := s.viewRepo(t, name)
	if err != nil {
		return nil, err
	}
	if r.Lifecycle == "" {
		return nil, lifecycleNotFound(t, name)
	}
	return &ecrapi.GetLifecyclePolicyResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, LifecyclePolicyText: ptr.To(r.Lifecycle),
		LastEvaluatedAt: r.LifecycleEvalAt}, nil
}

// DeleteLifecyclePolicy removes the lifecycle policy.
func (s *ECR) DeleteLifecyclePolicy(ctx *request.Context, in *ecrapi.DeleteLifecyclePolicyRequest) (*ecrapi.DeleteLifecyclePolicyResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	var old repoRecord
	if _, err := s.updateRepo(t, name, func(r *repoRecord) error {
		if r.Lifecycle == "" {
			return lifecycleNotFound(t, name)
		}
		old = *r
		r.Lifecycle, r.LifecycleAt, r.LifecycleEvalAt = "", nil, nil
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.DeleteLifecyclePolicyResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, LifecyclePolicyText: ptr.To(old.Lifecycle),
		LastEvaluatedAt: old.LifecycleEvalAt}, nil
}

// StartLifecyclePolicyPreview evaluates a lifecycle policy (the one
// given, or the repository's) against the repository's images as they
// are now. AWS runs previews in the background; niwa's is done at once
// and GetLifecyclePolicyPreview reports it COMPLETE.
func (s *ECR) StartLifecyclePolicyPreview(ctx *request.Context, in *ecrapi.StartLifecyclePolicyPreviewRequest) (*ecrapi.StartLifecyclePolicyPreviewResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	text := ptr.Deref(in.LifecyclePolicyText)
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := getRepo(tx, t, name)
		if err != nil {
			return err
		}
		if text == "" {
			if r.Lifecycle == "" {
				return lifecycleNotFound(t, name)
			}
			text = r.Lifecycle
		}
		p, err := parseLifecycle(text)
		if err != nil {
			return err
		}
		imgs, err := listImages(tx, t.scope, name)
		if err != nil {
			return err
		}
		return previews.Put(tx, t.scope, previewRecord{Policy: text, Results: p.evaluate(imgs, ctx.Now())}, name)
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.StartLifecyclePolicyPreviewResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, LifecyclePolicyText: &text,
		Status: ptr.To("IN_PROGRESS")}, nil
}

// GetLifecyclePolicyPreview returns the last preview's results.
func (s *ECR) GetLifecyclePolicyPreview(ctx *request.Context, in *ecrapi.GetLifecyclePolicyPreviewRequest) (*ecrapi.GetLifecyclePolicyPreviewResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	var pr previewRecord
	err := s.inRepo(t, name, false, func(tx storage.Tx) error {
		var ok bool
		var err error
		pr, ok, err = previews.Get(tx, t.scope, name)
		if err == nil && !ok {
			err = ecrapi.ErrLifecyclePolicyPreviewNotFoundException.New("There is no lifecycle policy preview for the repository with name '%s' in the registry with id '%s'", name, t.id())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range in.ImageIds {
		if id.ImageDigest != nil {
			want[*id.ImageDigest] = true
		}
	}
	status := ""
	if in.Filter != nil {
		status = ptr.Deref(in.Filter.TagStatus)
	}
	var kept []previewResult
	for _, r := range pr.Results {
		switch {
		case len(want) > 0 && !want[r.Digest]:
		case status == "TAGGED" && len(r.Tags) == 0, status == "UNTAGGED" && len(r.Tags) > 0:
		default:
			kept = append(kept, r)
		}
	}
	out := &ecrapi.GetLifecyclePolicyPreviewResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, LifecyclePolicyText: ptr.To(pr.Policy),
		Status: ptr.To("COMPLETE"), PreviewResults: []ecrapi.LifecyclePolicyPreviewResult{},
		Summary: &ecrapi.LifecyclePolicyPreviewSummary{ExpiringImageTotalCount: ptr.To(int32(len(pr.Results)))}}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Digest < kept[j].Digest })
	items, next := page(kept, func(r previewResult) string { return r.Digest }, in.NextToken, in.MaxResults, 100)
	for _, r := range items {
		pushed := r.PushedAt
		out.PreviewResults = append(out.PreviewResults, ecrapi.LifecyclePolicyPreviewResult{ImageDigest: ptr.To(r.Digest), ImageTags: r.Tags,
			ImagePushedAt: &pushed, Action: &ecrapi.LifecyclePolicyRuleAction{Type: ptr.To("EXPIRE")}, AppliedRulePriority: ptr.To(r.Priority)})
	}
	out.NextToken = next
	return out, nil
}
