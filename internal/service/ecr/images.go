package ecr

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"sort"
	"strings"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Media types of image manifests.
const (
	mediaDockerV2   = "application/vnd.docker.distribution.manifest.v2+json"
	mediaDockerV1   = "application/vnd.docker.distribution.manifest.v1+json"
	mediaDockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaOCI        = "application/vnd.oci.image.manifest.v1+json"
	mediaOCIIndex   = "application/vnd.oci.image.index.v1+json"
	// mediaLayer is what ECR reports as the media type of an uploaded
	// layer.
	mediaLayer = "application/vnd.docker.container.image.rootfs.diff.tar.gzip"
	// partSize is the part size InitiateLayerUpload recommends.
	partSize = 10 << 20
)

// digestRE is an OCI content digest of sha256.
var digestRE = lazyre.New(`^sha256:[a-f0-9]{64}$`)

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// manifest is what niwa reads of an image manifest: Docker v2 schema 2 and
// OCI manifests (config and layers), manifest lists and OCI indexes
// (manifests), and Docker schema 1 (fsLayers).
type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        *descriptor  `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests"`
	FSLayers      []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers"`
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// parseManifest reads a manifest and its media type (the one given, or
// the manifest's own).
func parseManifest(text, given string) (manifest, string, error) {
	var m manifest
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return m, "", invalidParam("Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")
	}
	mt := m.MediaType
	switch {
	case given != "" && mt != "" && given != mt:
		return m, "", invalidParam("Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type %s does not match the media type %s in the manifest'", given, mt)
	case given != "":
		mt = given
	case mt == "" && m.SchemaVersion == 1:
		mt = mediaDockerV1
	case mt == "" && len(m.Manifests) > 0:
		mt = mediaOCIIndex
	case mt == "":
		mt = mediaOCI
	}
	switch mt {
	case mediaDockerV2, mediaDockerV1, mediaDockerList, mediaOCI, mediaOCIIndex, "application/vnd.docker.distribution.manifest.v1+prettyjws":
	default:
		return m, "", ecrapi.ErrUnsupportedImageTypeException.New("Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Unsupported manifest media type %s'", mt)
	}
	if m.SchemaVersion != 1 && m.SchemaVersion != 2 {
		return m, "", invalidParam("Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid manifest schema version'")
	}
	return m, mt, nil
}

// blobDigests are the layers (and config) a manifest needs in the
// repository.
func (m manifest) blobDigests() []string {
	var out []string
	if m.Config != nil && m.Config.Digest != "" {
		out = append(out, m.Config.Digest)
	}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	for _, l := range m.FSLayers {
		out = append(out, l.BlobSum)
	}
	return out
}

func (m manifest) size() int64 {
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// repoImages lists a repository's images; it errs when there is no
// such repository.
func repoImages(tx storage.Tx, t target, name string) ([]imageRecord, error) {
	if _, err := getRepo(tx, t, name); err != nil {
		return nil, err
	}
	return listImages(tx, t.scope, name)
}

// listImages returns a repository's images.
func listImages(tx storage.Tx, sc storage.Scope, repo string) ([]imageRecord, error) {
	var out []imageRecord
	err := images.List(tx, sc, []string{repo}, storage.ListOptions{}, func(_ []string, im imageRecord) bool {
		out = append(out, im)
		return true
	})
	return out, err
}

// findImage finds the image an identifier names: by digest, by tag, or
// both (which must agree). code is the ImageFailureCode when not found.
func findImage(imgs []imageRecord, id ecrapi.ImageIdentifier) (int, string, string) {
	d, tag := ptr.Deref(id.ImageDigest), ptr.Deref(id.ImageTag)
	switch {
	case d == "" && tag == "":
		return -1, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
	case d != "" && !digestRE.MatchString(d):
		return -1, "InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
	}
	for i, im := range imgs {
		if d != "" && im.Digest != d {
			continue
		}
		if tag != "" && !contains(im.Tags, tag) {
			if d != "" {
				return -1, "ImageTagDoesNotMatchDigest", "Invalid image tag for image digest"
			}
			continue
		}
		return i, "", ""
	}
	return -1, "ImageNotFound", "Requested image not found"
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func remove(l []string, s string) []string {
	out := l[:0:0]
	for _, x := range l {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// PutImage creates or tags an image from its manifest. The layers (and
// config) the manifest names must have been uploaded to the repository,
// the images a manifest list names pushed before it.
func (s *ECR) PutImage(ctx *request.Context, in *ecrapi.PutImageRequest) (*ecrapi.PutImageResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	text := ptr.Deref(in.ImageManifest)
	tag := ptr.Deref(in.ImageTag)
	digest := digestOf([]byte(text))
	if d := ptr.Deref(in.ImageDigest); d != "" && d != digest {
		return nil, ecrapi.ErrImageDigestDoesNotMatchException.New("Provided image digest '%s' does not match the calculated image digest '%s'", d, digest)
	}
	m, mt, err := parseManifest(text, ptr.Deref(in.ImageManifestMediaType))
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		r, err := getRepo(tx, t, name)
		if err != nil {
			return err
		}
		var missing []string
		for _, d := range m.blobDigests() {
			if _, ok, err := layers.Get(tx, t.scope, name, d); err != nil {
				return err
			} else if !ok {
				missing = append(missing, d)
			}
		}
		if len(missing) > 0 {
			return ecrapi.ErrLayersNotFoundException.New("Layers with digests '[%s]' required for pushing image into repository with name '%s' in the registry with id '%s' do not exist",
				strings.Join(missing, ", "), name, t.id())
		}
		for _, ref := range m.Manifests {
			if _, ok, err := images.Get(tx, t.scope, name, ref.Digest); err != nil {
				return err
			} else if !ok {
				return ecrapi.ErrReferencedImagesNotFoundException.New("Some of the images referenced by the manifest list do not exist in the repository with name '%s' in the registry with id '%s'", name, t.id())
			}
		}
		imgs, err := listImages(tx, t.scope, name)
		if err != nil {
			return err
		}
		var cur *imageRecord
		for i := range imgs {
			if imgs[i].Digest == digest {
				cur = &imgs[i]
			}
		}
		if cur != nil && (tag == "" || contains(cur.Tags, tag)) {
			return ecrapi.ErrImageAlreadyExistsException.New("Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'",
				digest, tag, name, t.id())
		}
		if tag != "" {
			for _, other := range imgs {
				if other.Digest == digest || !contains(other.Tags, tag) {
					continue
				}
				if r.TagMutability == "IMMUTABLE" {
					return ecrapi.ErrImageTagAlreadyExistsException.New("The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, name)
				}
				// The tag moves: the other image keeps its other tags
				// or stays untagged.
				other.Tags = remove(other.Tags, tag)
				if err := images.Put(tx, t.scope, other, name, other.Digest); err != nil {
					return err
				}
			}
		}
		im := imageRecord{Digest: digest, Manifest: text, MediaType: mt, Tags: []string{}, Size: m.size(), PushedAt: ctx.Now()}
		if cur != nil {
			im = *cur
		}
		if m.Config != nil {
			im.ArtifactMediaType = m.Config.MediaType
		}
		if tag != "" {
			im.Tags = append(im.Tags, tag)
		}
		return images.Put(tx, t.scope, im, name, digest)
	})
	if err != nil {
		return nil, err
	}
	id := &ecrapi.ImageIdentifier{ImageDigest: ptr.To(digest)}
	if tag != "" {
		id.ImageTag = ptr.To(tag)
	}
	return &ecrapi.PutImageResponse{Image: &ecrapi.Image{RegistryId: ptr.To(t.id()), RepositoryName: &name, ImageId: id,
		ImageManifest: &text, ImageManifestMediaType: &mt}}, nil
}

// BatchGetImage returns images' manifests.
func (s *ECR) BatchGetImage(ctx *request.Context, in *ecrapi.BatchGetImageRequest) (*ecrapi.BatchGetImageResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	out := &ecrapi.BatchGetImageResponse{Images: []ecrapi.Image{}, Failures: []ecrapi.ImageFailure{}}
	now := ctx.Now()
	err := s.store.Update(func(tx storage.Tx) error {
		imgs, err := repoImages(tx, t, name)
		if err != nil {
			return err
		}
		for _, id := range in.ImageIds {
			i, code, reason := findImage(imgs, id)
			if i < 0 {
				out.Failures = append(out.Failures, ecrapi.ImageFailure{ImageId: ptr.To(id), FailureCode: ptr.To(code), FailureReason: ptr.To(reason)})
				continue
			}
			im := imgs[i]
			if len(in.AcceptedMediaTypes) > 0 && !contains(in.AcceptedMediaTypes, im.MediaType) {
				out.Failures = append(out.Failures, ecrapi.ImageFailure{ImageId: ptr.To(id), FailureCode: ptr.To("ImageNotFound"),
					FailureReason: ptr.To("Requested image not found")})
				continue
			}
			rid := ecrapi.ImageIdentifier{ImageDigest: ptr.To(im.Digest), ImageTag: id.ImageTag}
			out.Images = append(out.Images, ecrapi.Image{RegistryId: ptr.To(t.id()), RepositoryName: &name, ImageId: &rid,
				ImageManifest: ptr.To(im.Manifest), ImageManifestMediaType: ptr.To(im.MediaType)})
			im.LastPulledAt = &now
			imgs[i] = im
			if err := images.Put(tx, t.scope, im, name, im.Digest); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func imageNotFound(t target, name string, id ecrapi.ImageIdentifier) error {
	return ecrapi.ErrImageNotFoundException.New("The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'",
		describeID(id), name, t.id())
}

func tagFilter(status string, tags []string) bool {
	switch status {
	case "TAGGED":
		return len(tags) > 0
	case "UNTAGGED":
		return len(tags) == 0
	}
	return true
}

// DescribeImages describes a repository's images, or those named.
func (s *ECR) DescribeImages(ctx *request.Context, in *ecrapi.DescribeImagesRequest) (*ecrapi.DescribeImagesResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	if len(in.ImageIds) > 0 && (in.NextToken != nil || in.MaxResults != nil) {
		return nil, invalidParam("Invalid parameter: imageIds cannot be used with maxResults or nextToken")
	}
	var imgs []imageRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		imgs, err = repoImages(tx, t, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	var sel []imageRecord
	var next *string
	if len(in.ImageIds) > 0 {
		for _, id := range in.ImageIds {
			i, _, _ := findImage(imgs, id)
			if i < 0 {
				return nil, imageNotFound(t, name, id)
			}
			sel = append(sel, imgs[i])
		}
	} else {
		status := ""
		if in.Filter != nil {
			status = ptr.Deref(in.Filter.TagStatus)
		}
		for _, im := range imgs {
			if tagFilter(status, im.Tags) {
				sel = append(sel, im)
			}
		}
		sel, next = page(sel, func(im imageRecord) string { return im.Digest }, in.NextToken, in.MaxResults, 100)
	}
	out := &ecrapi.DescribeImagesResponse{ImageDetails: []ecrapi.ImageDetail{}, NextToken: next}
	for _, im := range sel {
		pushed := im.PushedAt
		d := ecrapi.ImageDetail{RegistryId: ptr.To(t.id()), RepositoryName: &name, ImageDigest: ptr.To(im.Digest), ImageSizeInBytes: ptr.To(im.Size),
			ImagePushedAt: &pushed, ImageManifestMediaType: ptr.To(im.MediaType), LastRecordedPullTime: im.LastPulledAt}
		if len(im.Tags) > 0 {
			d.ImageTags = im.Tags
		}
		if im.ArtifactMediaType != "" {
			d.ArtifactMediaType = ptr.To(im.ArtifactMediaType)
		}
		out.ImageDetails = append(out.ImageDetails, d)
	}
	return out, nil
}

// ListImages lists image identifiers: one per tag, the digest alone for
// an untagged image.
func (s *ECR) ListImages(ctx *request.Context, in *ecrapi.ListImagesRequest) (*ecrapi.ListImagesResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	var imgs []imageRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		imgs, err = repoImages(tx, t, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	status := ""
	if in.Filter != nil {
		status = ptr.Deref(in.Filter.TagStatus)
	}
	var ids []ecrapi.ImageIdentifier
	for _, im := range imgs {
		if !tagFilter(status, im.Tags) {
			continue
		}
		if len(im.Tags) == 0 {
			ids = append(ids, ecrapi.ImageIdentifier{ImageDigest: ptr.To(im.Digest)})
		}
		for _, tag := range im.Tags {
			ids = append(ids, ecrapi.ImageIdentifier{ImageDigest: ptr.To(im.Digest), ImageTag: ptr.To(tag)})
		}
	}
	key := func(id ecrapi.ImageIdentifier) string { return *id.ImageDigest + "/" + ptr.Deref(id.ImageTag) }
	sort.Slice(ids, func(i, j int) bool { return key(ids[i]) < key(ids[j]) })
	ids, next := page(ids, key, in.NextToken, in.MaxResults, 1000)
	if ids == nil {
		ids = []ecrapi.ImageIdentifier{}
	}
	return &ecrapi.ListImagesResponse{ImageIds: ids, NextToken: next}, nil
}

// BatchDeleteImage deletes images by digest (with every tag) or removes
// tags; an image whose last tag goes is deleted, as on AWS.
func (s *ECR) BatchDeleteImage(ctx *request.Context, in *ecrapi.BatchDeleteImageRequest) (*ecrapi.BatchDeleteImageResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	out := &ecrapi.BatchDeleteImageResponse{ImageIds: []ecrapi.ImageIdentifier{}, Failures: []ecrapi.ImageFailure{}}
	err := s.store.Update(func(tx storage.Tx) error {
		imgs, err := repoImages(tx, t, name)
		if err != nil {
			return err
		}
		for _, id := range in.ImageIds {
			i, code, reason := findImage(imgs, id)
			if i < 0 {
				out.Failures = append(out.Failures, ecrapi.ImageFailure{ImageId: ptr.To(id), FailureCode: ptr.To(code), FailureReason: ptr.To(reason)})
				continue
			}
			im := &imgs[i]
			if id.ImageDigest == nil {
				im.Tags = remove(im.Tags, *id.ImageTag)
				out.ImageIds = append(out.ImageIds, ecrapi.ImageIdentifier{ImageDigest: ptr.To(im.Digest), ImageTag: id.ImageTag})
				if len(im.Tags) > 0 {
					if err := images.Put(tx, t.scope, *im, name, im.Digest); err != nil {
						return err
					}
					continue
				}
			} else {
				for _, tag := range im.Tags {
					out.ImageIds = append(out.ImageIds, ecrapi.ImageIdentifier{ImageDigest: ptr.To(im.Digest), ImageTag: ptr.To(tag)})
				}
				if len(im.Tags) == 0 {
					out.ImageIds = append(out.ImageIds, ecrapi.ImageIdentifier{ImageDigest: ptr.To(im.Digest)})
				}
			}
			if err := images.Delete(tx, t.scope, name, im.Digest); err != nil {
				return err
			}
			imgs = append(imgs[:i], imgs[i+1:]...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchCheckLayerAvailability says which layers the repository holds.
func (s *ECR) BatchCheckLayerAvailability(ctx *request.Context, in *ecrapi.BatchCheckLayerAvailabilityRequest) (*ecrapi.BatchCheckLayerAvailabilityResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	out := &ecrapi.BatchCheckLayerAvailabilityResponse{Layers: []ecrapi.Layer{}, Failures: []ecrapi.LayerFailure{}}
	err := s.inRepo(t, name, false, func(tx storage.Tx) error {
		for _, d := range in.LayerDigests {
			if !digestRE.MatchString(d) {
				out.Failures = append(out.Failures, ecrapi.LayerFailure{LayerDigest: ptr.To(d), FailureCode: ptr.To("InvalidLayerDigest"), FailureReason: ptr.To("Invalid layer digest")})
				continue
			}
			l, ok, err := layers.Get(tx, t.scope, name, d)
			if err != nil {
				return err
			}
			if !ok {
				out.Failures = append(out.Failures, ecrapi.LayerFailure{LayerDigest: ptr.To(d), FailureCode: ptr.To("MissingLayerDigest"), FailureReason: ptr.To("Could not find layer")})
				continue
			}
			out.Layers = append(out.Layers, ecrapi.Layer{LayerDigest: ptr.To(d), LayerAvailability: ptr.To("AVAILABLE"), LayerSize: ptr.To(l.Blob.Size),
				MediaType: ptr.To(l.MediaType)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// InitiateLayerUpload starts a layer upload.
func (s *ECR) InitiateLayerUpload(ctx *request.Context, in *ecrapi.InitiateLayerUploadRequest) (*ecrapi.InitiateLayerUploadResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	id := awsid.UUID()
	err := s.inRepo(t, name, true, func(tx storage.Tx) error {
		return uploads.Put(tx, t.scope, uploadRecord{ID: id, Started: ctx.Now()}, name, id)
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.InitiateLayerUploadResponse{UploadId: ptr.To(id), PartSize: ptr.To(int64(partSize))}, nil
}

func uploadNotFound(t target, name, id string) error {
	return ecrapi.ErrUploadNotFoundException.New("Upload with id '%s' does not exist in the repository with name '%s' in the registry with id '%s'", id, name, t.id())
}

// UploadLayerPart stores the next part of a layer upload; parts come in
// order, each starting right after the last byte received.
func (s *ECR) UploadLayerPart(ctx *request.Context, in *ecrapi.UploadLayerPartRequest) (*ecrapi.UploadLayerPartResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	id := ptr.Deref(in.UploadId)
	first, last := ptr.Deref(in.PartFirstByte), ptr.Deref(in.PartLastByte)
	if last-first+1 != int64(len(in.LayerPartBlob)) {
		return nil, ecrapi.ErrInvalidLayerPartException.New("The part first byte %d and last byte %d do not match the size %d of the layer part blob", first, last, len(in.LayerPartBlob)).
			With("registryId", t.id()).With("repositoryName", name).With("uploadId", id)
	}
	w, err := s.blobs.Create()
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	if _, err := w.Write(in.LayerPartBlob); err != nil {
		return nil, err
	}
	ref, err := w.Commit()
	if err != nil {
		return nil, err
	}
	var received int64
	err = s.inRepo(t, name, true, func(tx storage.Tx) error {
		u, ok, err := uploads.Get(tx, t.scope, name, id)
		if err != nil {
			return err
		}
		if !ok {
			return uploadNotFound(t, name, id)
		}
		if first != u.Received {
			return ecrapi.ErrInvalidLayerPartException.New("The part first byte %d is not the byte after the last byte received %d", first, u.Received-1).
				With("registryId", t.id()).With("repositoryName", name).With("uploadId", id).With("lastValidByteReceived", u.Received-1)
		}
		u.Parts = append(u.Parts, ref)
		u.Received = last + 1
		received = u.Received
		return uploads.Put(tx, t.scope, u, name, id)
	})
	if err != nil {
		s.deleteBlobs([]string{ref.ID})
		return nil, err
	}
	return &ecrapi.UploadLayerPartResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, UploadId: &id, LastByteReceived: ptr.To(received - 1)}, nil
}

// CompleteLayerUpload joins an upload's parts into the layer, checking
// its digest.
func (s *ECR) CompleteLayerUpload(ctx *request.Context, in *ecrapi.CompleteLayerUploadRequest) (*ecrapi.CompleteLayerUploadResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	id := ptr.Deref(in.UploadId)
	if len(in.LayerDigests) != 1 {
		return nil, invalidParam("Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Only one layer digest is supported'")
	}
	want := in.LayerDigests[0]
	if !digestRE.MatchString(want) {
		return nil, ecrapi.ErrInvalidLayerException.New("Invalid layer digest '%s'", want)
	}
	var u uploadRecord
	err := s.inRepo(t, name, false, func(tx storage.Tx) error {
		var ok bool
		var err error
		u, ok, err = uploads.Get(tx, t.scope, name, id)
		if err == nil && !ok {
			err = uploadNotFound(t, name, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(u.Parts) == 0 {
		return nil, ecrapi.ErrEmptyUploadException.New("The layer upload with id '%s' in the repository with name '%s' in the registry with id '%s' is empty", id, name, t.id())
	}
	ref, got, err := s.join(u.Parts)
	if err != nil {
		return nil, err
	}
	var stale []string
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := uploads.Get(tx, t.scope, name, id); err != nil {
			return err
		} else if !ok {
			return uploadNotFound(t, name, id)
		}
		if err := uploads.Delete(tx, t.scope, name, id); err != nil {
			return err
		}
		for _, p := range u.Parts {
			stale = append(stale, p.ID)
		}
		if got != want {
			return ecrapi.ErrInvalidLayerException.New("The layer digest calculated for upload with id '%s' in the repository with name '%s' does not match the layer digest '%s'", id, name, want)
		}
		if _, ok, err := layers.Get(tx, t.scope, name, want); err != nil {
			return err
		} else if ok {
			return ecrapi.ErrLayerAlreadyExistsException.New("The layer with digest '%s' already exists in the repository with name '%s' in the registry with id '%s'", want, name, t.id())
		}
		return layers.Put(tx, t.scope, layerRecord{Digest: want, Blob: ref, MediaType: mediaLayer}, name, want)
	})
	if err != nil {
		if ecrapi.ErrInvalidLayerException.Is(err) || ecrapi.ErrLayerAlreadyExistsException.Is(err) {
			// The upload is spent: AWS deletes it with the refusal.
			if derr := s.store.Update(func(tx storage.Tx) error { return uploads.Delete(tx, t.scope, name, id) }); derr != nil {
				return nil, derr
			}
			s.deleteBlobs(stale)
		}
		s.deleteBlobs([]string{ref.ID})
		return nil, err
	}
	s.deleteBlobs(stale)
	return &ecrapi.CompleteLayerUploadResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, UploadId: &id, LayerDigest: &want}, nil
}

// join writes the parts as one blob and returns it with its digest.
func (s *ECR) join(parts []storage.BlobRef) (storage.BlobRef, string, error) {
	w, err := s.blobs.Create()
	if err != nil {
		return storage.BlobRef{}, "", err
	}
	defer w.Abort()
	h := sha256.New()
	dst := io.MultiWriter(w, h)
	for _, p := range parts {
		r, err := s.blobs.Open(p.ID)
		if err != nil {
			return storage.BlobRef{}, "", err
		}
		_, err = io.Copy(dst, r)
		_ = r.Close()
		if err != nil {
			return storage.BlobRef{}, "", err
		}
	}
	ref, err := w.Commit()
	if err != nil {
		return storage.BlobRef{}, "", err
	}
	return ref, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
