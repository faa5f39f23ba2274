package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// layerVersion is one published layer version.
type layerVersion struct {
	Info lambdaapi.PublishLayerVersionResponse `json:"info"`
	Code storage.BlobRef                       `json:"code"`
}

// layers are keyed (layerName, zero-padded version).
var layers = storage.NewTable[layerVersion]("layer")

func layerARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s", sc.Region, sc.Account, name)
}

// layerARNPattern matches an unversioned layer ARN: every layer operation takes
// "the name or Amazon Resource Name (ARN) of the layer".
var layerARNPattern = lazyre.New(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:([a-zA-Z0-9_-]+)$`)

// layerName is the name a LayerName parameter gives, by name or by ARN.
func layerName(p *string) string {
	if m := layerARNPattern.FindStringSubmatch(ptr.Deref(p)); m != nil {
		return m[1]
	}
	return ptr.Deref(p)
}

var layerVersionARN = lazyre.New(`^arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):layer:([a-zA-Z0-9_-]+):(\d+)$`)

// PublishLayerVersion stores a new version of a layer.
func (l *Lambda) PublishLayerVersion(ctx *request.Context, in *lambdaapi.PublishLayerVersionRequest) (*lambdaapi.PublishLayerVersionResponse, error) {
	sc := scope(ctx)
	name := layerName(in.LayerName)
	var code storedCode
	var err error
	switch c := in.Content; {
	case c != nil && len(c.ZipFile) > 0:
		code, err = l.storeZip(c.ZipFile)
	case c != nil && c.S3Bucket != nil && c.S3Key != nil:
		// Copied out of S3 at publish time, as AWS does: later changes
		// to the object do not change the version.
		code, err = l.codeFromS3(ctx, *c.S3Bucket, *c.S3Key, ptr.Deref(c.S3ObjectVersion))
	default:
		return nil, errInvalidParam("Please provide a source for layer content.")
	}
	if err != nil {
		return nil, err
	}
	if err := l.checkCodeStorage(sc, code.Ref.Size); err != nil {
		_ = l.opt.Blobs.Delete(code.Ref.ID) // best effort: the refusal is the answer
		return nil, err
	}
	var out layerVersion
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		n := int64(1)
		if err := layers.List(tx, sc, []string{name}, storage.ListOptions{Reverse: true, Limit: 1}, func(_ []string, v layerVersion) bool {
			n = *v.Info.Version + 1
			return false
		}); err != nil {
			return err
		}
		arn := layerARN(sc, name)
		out = layerVersion{Code: code.Ref, Info: lambdaapi.PublishLayerVersionResponse{
			Content: &lambdaapi.LayerVersionContentOutput{
				Location: ptr.To(l.opt.Endpoint() + "/_niwa/lambda/code/" + code.Ref.ID), CodeSha256: ptr.To(code.Sha256), CodeSize: ptr.To(code.Ref.Size),
			},
			LayerArn:                ptr.To(arn),
			LayerVersionArn:         ptr.To(arn + ":" + strconv.FormatInt(n, 10)),
			Description:             ptr.To(ptr.Deref(in.Description)),
			CreatedDate:             ptr.To(lastModified(ctx.Now())),
			Version:                 ptr.To(n),
			CompatibleRuntimes:      in.CompatibleRuntimes,
			LicenseInfo:             in.LicenseInfo,
			CompatibleArchitectures: in.CompatibleArchitectures,
		}}
		return layers.Put(tx, sc, out, name, layerVersionKey(n))
	})
	if err != nil {
		_ = l.opt.Blobs.Delete(code.Ref.ID)
		return nil, err
	}
	return &out.Info, nil
}

func (l *Lambda) getLayer(sc storage.Scope, name string, n int64) (layerVersion, error) {
	var v layerVersion
	var ok bool
	err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		v, ok, err = layers.Get(tx, sc, name, layerVersionKey(n))
		return err
	})
	if err == nil && !ok {
		err = errNotFound("The resource you requested does not exist.")
	}
	return v, err
}

func layerResponse(v layerVersion) *lambdaapi.GetLayerVersionResponse {
	i := v.Info
	return &lambdaapi.GetLayerVersionResponse{
		Content: i.Content, LayerArn: i.LayerArn, LayerVersionArn: i.LayerVersionArn, Description: i.Description,
		CreatedDate: i.CreatedDate, Version: i.Version, CompatibleRuntimes: i.CompatibleRuntimes,
		LicenseInfo: i.LicenseInfo, CompatibleArchitectures: i.CompatibleArchitectures,
	}
}

// GetLayerVersion returns one layer version.
func (l *Lambda) GetLayerVersion(ctx *request.Context, in *lambdaapi.GetLayerVersionRequest) (*lambdaapi.GetLayerVersionResponse, error) {
	v, err := l.getLayer(scope(ctx), layerName(in.LayerName), *in.VersionNumber)
	if err != nil {
		return nil, err
	}
	return layerResponse(v), nil
}

// GetLayerVersionByArn returns one layer version by ARN.
func (l *Lambda) GetLayerVersionByArn(ctx *request.Context, in *lambdaapi.GetLayerVersionByArnRequest) (*lambdaapi.GetLayerVersionResponse, error) {
	m := layerVersionARN.FindStringSubmatch(ptr.Deref(in.Arn))
	if m == nil {
		return nil, errInvalidParam("1 validation error detected: Value '%s' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern", ptr.Deref(in.Arn))
	}
	n, _ := strconv.ParseInt(m[4], 10, 64)
	sc := storage.Scope{Account: m[2], Region: m[1]}
	v, err := l.getLayer(sc, m[3], n)
	if err != nil {
		return nil, err
	}
	if ok, err := l.mayUseLayer(ctx, sc, m[3], n); err != nil {
		return nil, err
	} else if !ok {
		return nil, errLayerDenied(ctx, m[0])
	}
	return layerResponse(v), nil
}

// DeleteLayerVersion deletes a layer version; functions using it keep
// their copy, as on AWS.
func (l *Lambda) DeleteLayerVersion(ctx *request.Context, in *lambdaapi.DeleteLayerVersionRequest) (*lambdaapi.DeleteLayerVersionOutput, error) {
	sc := scope(ctx)
	err := l.opt.Store.Update(func(tx storage.Tx) error {
		// The version's permissions go with it: a later version of the
		// same number (never reused) must not inherit them.
		if err := layerPolicies.Delete(tx, sc, layerName(in.LayerName), layerVersionKey(*in.VersionNumber)); err != nil {
			return err
		}
		return layers.Delete(tx, sc, layerName(in.LayerName), layerVersionKey(*in.VersionNumber))
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteLayerVersionOutput{}, nil
}

func listItem(v layerVersion) *lambdaapi.LayerVersionsListItem {
	i := v.Info
	return &lambdaapi.LayerVersionsListItem{
		LayerVersionArn: i.LayerVersionArn, Version: i.Version, Description: i.Description, CreatedDate: i.CreatedDate,
		CompatibleRuntimes: i.CompatibleRuntimes, LicenseInfo: i.LicenseInfo, CompatibleArchitectures: i.CompatibleArchitectures,
	}
}

func layerMatches(v layerVersion, runtime, arch *string) bool {
	if runtime != nil && !contains(v.Info.CompatibleRuntimes, *runtime) {
		return false
	}
	if arch != nil && !contains(v.Info.CompatibleArchitectures, *arch) {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ListLayerVersions lists a layer's versions, newest first.
func (l *Lambda) ListLayerVersions(ctx *request.Context, in *lambdaapi.ListLayerVersionsRequest) (*lambdaapi.ListLayerVersionsResponse, error) {
	out := &lambdaapi.ListLayerVersionsResponse{LayerVersions: []lambdaapi.LayerVersionsListItem{}}
	err := l.opt.Store.View(func(tx storage.Tx) error {
		return layers.List(tx, scope(ctx), []string{layerName(in.LayerName)}, storage.ListOptions{Reverse: true}, func(_ []string, v layerVersion) bool {
			if layerMatches(v, in.CompatibleRuntime, in.CompatibleArchitecture) {
				out.LayerVersions = append(out.LayerVersions, *listItem(v))
			}
			return true
		})
	})
	return out, err
}

// ListLayers lists layers with their latest matching version.
func (l *Lambda) ListLayers(ctx *request.Context, in *lambdaapi.ListLayersRequest) (*lambdaapi.ListLayersResponse, error) {
	out := &lambdaapi.ListLayersResponse{Layers: []lambdaapi.LayersListItem{}}
	latestOf := map[string]layerVersion{}
	var names []string
	err := l.opt.Store.View(func(tx storage.Tx) error {
		return layers.List(tx, scope(ctx), nil, storage.ListOptions{}, func(k []string, v layerVersion) bool {
			if layerMatches(v, in.CompatibleRuntime, in.CompatibleArchitecture) {
				if _, seen := latestOf[k[0]]; !seen {
					names = append(names, k[0])
				}
				latestOf[k[0]] = v
			}
			return true
		})
	})
	for _, n := range names {
		v := latestOf[n]
		out.Layers = append(out.Layers, lambdaapi.LayersListItem{LayerName: ptr.To(n), LayerArn: v.Info.LayerArn, LatestMatchingVersion: listItem(v)})
	}
	return out, err
}

// resolveLayers checks the layer version ARNs of a function.
func (l *Lambda) resolveLayers(ctx *request.Context, arns []string) ([]lambdaapi.Layer, error) {
	if len(arns) > 5 {
		return nil, errInvalidParam("Cannot reference more than 5 layers.")
	}
	var out []lambdaapi.Layer
	for _, arn := range arns {
		m := layerVersionARN.FindStringSubmatch(arn)
		if m == nil {
			return nil, errInvalidParam("Layer version %s does not exist.", arn)
		}
		n, _ := strconv.ParseInt(m[4], 10, 64)
		sc := storage.Scope{Account: m[2], Region: m[1]}
		v, err := l.getLayer(sc, m[3], n)
		if err != nil {
			return nil, errInvalidParam("Layer version %s does not exist.", arn)
		}
		if ok, err := l.mayUseLayer(ctx, sc, m[3], n); err != nil {
			return nil, err
		} else if !ok {
			return nil, errLayerDenied(ctx, arn)
		}
		out = append(out, lambdaapi.Layer{Arn: ptr.To(arn), CodeSize: ptr.To(v.Code.Size)})
	}
	return out, nil
}

// optDir merges a function's layers, in order, into one directory that
// stands for /opt.
func (l *Lambda) optDir(sc storage.Scope, fl []lambdaapi.Layer) (string, error) {
	if len(fl) == 0 {
		return "", nil
	}
	var ids []string
	var vs []layerVersion
	for _, ly := range fl {
		m := layerVersionARN.FindStringSubmatch(ptr.Deref(ly.Arn))
		if m == nil {
			continue
		}
		n, _ := strconv.ParseInt(m[4], 10, 64)
		v, err := l.getLayer(storage.Scope{Account: m[2], Region: m[1]}, m[3], n)
		if err != nil {
			return "", lambdaapi.ErrServiceException.New("layer %s is gone: %v", ptr.Deref(ly.Arn), err)
		}
		ids = append(ids, ptr.Deref(v.Info.Content.CodeSha256))
		vs = append(vs, v)
	}
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	dir := filepath.Join(l.opt.WorkDir, "opt", base64.RawURLEncoding.EncodeToString(sum[:16]))
	l.unpackMu.Lock()
	defer l.unpackMu.Unlock()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	for _, v := range vs {
		rc, err := l.opt.Blobs.Open(v.Code.ID)
		if err != nil {
			return "", err
		}
		data := make([]byte, v.Code.Size)
		_, err = io.ReadFull(rc, data)
		_ = rc.Close()
		if err != nil {
			return "", err
		}
		if err := unzipTo(data, tmp); err != nil {
			return "", err
		}
	}
	return dir, os.Rename(tmp, dir)
}
