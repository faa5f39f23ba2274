// Package ecr is Amazon Elastic Container Registry at API level:
// repositories with their settings, tags, repository and lifecycle
// policies (with lifecycle previews), the registry's policy, scanning and
// replication configuration, authorization tokens, and images pushed
// through the API (layer uploads stored in niwa's blob store, image
// manifests, tags). niwa runs no Docker registry v2 endpoint, so `docker
// push`/`docker pull` do not reach it; what the API says about images is
// what was pushed through the API.
package ecr

import (
	"fmt"
	"strings"
	"time"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// ECR implements the ECR API; bind it with ecrapi.Bind.
type ECR struct {
	store storage.Store
	blobs storage.BlobStore
	clock clock.Clock
}

// New returns the service on store, keeping layer bytes in blobs.
func New(store storage.Store, blobs storage.BlobStore, clk clock.Clock) *ECR {
	return &ECR{store: store, blobs: blobs, clock: clk}
}

// Build makes the service from what the platform gives it.
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(d.Store, d.Blobs, d.Clock).Declare(), nil
}

// Records. Tables are descriptions, not state. Every record lives in the
// scope of the registry (account) and region it belongs to.
var (
	repos = storage.NewTable[repoRecord]("repo")
	// images are keyed (repository, digest).
	images = storage.NewTable[imageRecord]("image")
	// layers are keyed (repository, digest): a layer belongs to the
	// repository it was uploaded to, as on AWS.
	layers = storage.NewTable[layerRecord]("layer")
	// uploads are keyed (repository, upload id).
	uploads = storage.NewTable[uploadRecord]("upload")
	// previews are keyed (repository).
	previews = storage.NewTable[previewRecord]("preview")
	// registry is the registry's own settings, one record keyed "registry".
	registry = storage.NewTable[registryRecord]("registry")
)

type repoRecord struct {
	Name            string
	Created         time.Time
	TagMutability   string
	ScanOnPush      bool
	EncryptionType  string
	KMSKey          string            `json:",omitempty"`
	Tags            map[string]string `json:",omitempty"`
	Policy          string            `json:",omitempty"`
	Lifecycle       string            `json:",omitempty"`
	LifecycleAt     *time.Time        `json:",omitempty"`
	LifecycleEvalAt *time.Time        `json:",omitempty"`
}

type imageRecord struct {
	Digest    string
	Manifest  string
	MediaType string
	// ArtifactMediaType is the manifest's config media type.
	ArtifactMediaType string `json:",omitempty"`
	Tags              []string
	Size              int64
	PushedAt          time.Time
	// LastPulledAt is when BatchGetImage last returned the image.
	LastPulledAt *time.Time `json:",omitempty"`
}

type layerRecord struct {
	Digest string
	Blob   storage.BlobRef
	// MediaType is what the upload was completed as; AWS reports
	// application/vnd.docker.container.image.rootfs.diff.tar.gzip.
	MediaType string
}

type uploadRecord struct {
	ID       string
	Parts    []storage.BlobRef
	Received int64
	Started  time.Time
}

type previewRecord struct {
	Policy  string
	Results []previewResult
}

type previewResult struct {
	Digest   string
	Tags     []string
	PushedAt time.Time
	Priority int32
}

type registryRecord struct {
	Policy      string                           `json:",omitempty"`
	ScanType    string                           `json:",omitempty"`
	ScanRules   []ecrapi.RegistryScanningRule    `json:",omitempty"`
	Replication *ecrapi.ReplicationConfiguration `json:",omitempty"`
}

// target is the registry and region a request addresses: the registryId
// it names (another account's registry, when its repository policy
// allows) or the caller's own.
type target struct {
	scope storage.Scope
}

func (t target) id() string { return t.scope.Account }

func targetOf(ctx *request.Context, registryID *string) target {
	acct := ptr.Deref(registryID)
	if acct == "" {
		acct = ctx.Account
	}
	return target{scope: storage.Scope{Account: acct, Region: ctx.Region}}
}

func repoARN(sc storage.Scope, name string) string {
	return kit.ARN("ecr", sc.Region, sc.Account, "repository/"+name)
}

// registryHost is the registry's host name. AWS's is
// <account>.dkr.ecr.<region>.amazonaws.com; niwa's names itself, under
// localhost, with the port the request came to (niwa serves no registry
// there: the name only says whose registry it is).
func registryHost(ctx *request.Context, sc storage.Scope) string {
	host := sc.Account + ".dkr.ecr." + sc.Region + ".localhost"
	if ctx.HTTP != nil {
		if i := strings.LastIndexByte(ctx.HTTP.Host, ':'); i >= 0 && !strings.Contains(ctx.HTTP.Host[i:], "]") {
			host += ctx.HTTP.Host[i:]
		}
	}
	return host
}

func (r repoRecord) api(ctx *request.Context, sc storage.Scope) ecrapi.Repository {
	created := r.Created
	out := ecrapi.Repository{
		RepositoryArn:              ptr.To(repoARN(sc, r.Name)),
		RegistryId:                 ptr.To(sc.Account),
		RepositoryName:             ptr.To(r.Name),
		RepositoryUri:              ptr.To(registryHost(ctx, sc) + "/" + r.Name),
		CreatedAt:                  &created,
		ImageTagMutability:         ptr.To(r.TagMutability),
		ImageScanningConfiguration: &ecrapi.ImageScanningConfiguration{ScanOnPush: ptr.To(r.ScanOnPush)},
		EncryptionConfiguration:    &ecrapi.EncryptionConfiguration{EncryptionType: ptr.To(r.EncryptionType)},
	}
	if r.KMSKey != "" {
		out.EncryptionConfiguration.KmsKey = ptr.To(r.KMSKey)
	}
	return out
}

func repoNotFound(t target, name string) error {
	return ecrapi.ErrRepositoryNotFoundException.New("The repository with name '%s' does not exist in the registry with id '%s'", name, t.id())
}

func invalidParam(format string, args ...any) error {
	return ecrapi.ErrInvalidParameterException.New(format, args...)
}

// getRepo reads a repository or answers RepositoryNotFoundException.
func getRepo(tx storage.Tx, t target, name string) (repoRecord, error) {
	r, ok, err := repos.Get(tx, t.scope, name)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, repoNotFound(t, name)
	}
	return r, nil
}

// inRepo runs fn in a transaction (one that writes when write is true)
// on a repository that exists.
func (s *ECR) inRepo(t target, name string, write bool, fn func(tx storage.Tx) error) error {
	run := s.store.View
	if write {
		run = s.store.Update
	}
	return run(func(tx storage.Tx) error {
		if _, err := getRepo(tx, t, name); err != nil {
			return err
		}
		return fn(tx)
	})
}

// viewRepo reads a repository.
func (s *ECR) viewRepo(t target, name string) (repoRecord, error) {
	var r repoRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		r, err = getRepo(tx, t, name)
		return err
	})
	return r, err
}

// updateRepo reads a repository, lets change modify it and stores it.
func (s *ECR) updateRepo(t target, name string, change func(r *repoRecord) error) (repoRecord, error) {
	var r repoRecord
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if r, err = getRepo(tx, t, name); err != nil {
			return err
		}
		if err := change(&r); err != nil {
			return err
		}
		return repos.Put(tx, t.scope, r, name)
	})
	return r, err
}

// page cuts a name-ordered list after the token's name.
func page[T any](items []T, key func(T) string, token *string, limit *int32, def int) ([]T, *string) {
	start := 0
	if t := ptr.Deref(token); t != "" {
		for start < len(items) && key(items[start]) <= t {
			start++
		}
	}
	n := def
	if l := ptr.Deref(limit); l > 0 {
		n = int(l)
	}
	items = items[start:]
	if len(items) > n {
		return items[:n], ptr.To(key(items[n-1]))
	}
	return items, nil
}

// describeID is an image identifier as ECR's messages print it, an
// absent member as 'null'.
func describeID(id ecrapi.ImageIdentifier) string {
	d, tag := "null", "null"
	if id.ImageDigest != nil {
		d = *id.ImageDigest
	}
	if id.ImageTag != nil {
		tag = *id.ImageTag
	}
	return fmt.Sprintf("{imageDigest:'%s', imageTag:'%s'}", d, tag)
}
