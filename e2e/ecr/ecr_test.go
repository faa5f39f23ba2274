package ecr

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// TestRepositoriesAndImages: through both CLI versions, a repository is
// created, a layer and a config uploaded, an image put from its manifest
// and read back, a lifecycle policy previewed, a token issued, and the
// repository deleted with --force; AWS's errors and niwa's
// NotImplemented reasons come through each CLI's own parser.
func TestRepositoriesAndImages(t *testing.T) {
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			repo := "team/app-" + cli.Name
			var created struct {
				Repository struct{ RepositoryArn, RepositoryUri, ImageTagMutability string }
			}
			framework.CLIJSON(t, n, cli, &created, "ecr", "create-repository", "--repository-name", repo, "--image-tag-mutability", "IMMUTABLE")
			if created.Repository.RepositoryArn != "arn:aws:ecr:"+n.Region+":000000000000:repository/"+repo || created.Repository.ImageTagMutability != "IMMUTABLE" ||
				!strings.HasSuffix(created.Repository.RepositoryUri, "/"+repo) {
				t.Fatalf("%+v", created)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "ecr", "create-repository", "--repository-name", repo)
			if err == nil || !strings.Contains(errOut, "RepositoryAlreadyExistsException") {
				t.Fatalf("second create: %v %s", err, errOut)
			}

			// A layer in two parts, then the config in one.
			dir := t.TempDir()
			layer := []byte(strings.Repeat("layer", 1000))
			var up struct{ UploadId string }
			framework.CLIJSON(t, n, cli, &up, "ecr", "initiate-layer-upload", "--repository-name", repo)
			for i, part := range [][]byte{layer[:2000], layer[2000:]} {
				f := filepath.Join(dir, fmt.Sprint("part", i))
				if err := os.WriteFile(f, part, 0o644); err != nil {
					t.Fatal(err)
				}
				first := i * 2000
				n.MustCLI(t, cli, "ecr", "upload-layer-part", "--repository-name", repo, "--upload-id", up.UploadId,
					"--part-first-byte", fmt.Sprint(first), "--part-last-byte", fmt.Sprint(first+len(part)-1), "--layer-part-blob", "fileb://"+f)
			}
			n.MustCLI(t, cli, "ecr", "complete-layer-upload", "--repository-name", repo, "--upload-id", up.UploadId, "--layer-digests", digest(layer))
			config := []byte(`{"architecture":"amd64","os":"linux"}`)
			framework.CLIJSON(t, n, cli, &up, "ecr", "initiate-layer-upload", "--repository-name", repo)
			cf := filepath.Join(dir, "config")
			if err := os.WriteFile(cf, config, 0o644); err != nil {
				t.Fatal(err)
			}
			n.MustCLI(t, cli, "ecr", "upload-layer-part", "--repository-name", repo, "--upload-id", up.UploadId,
				"--part-first-byte", "0", "--part-last-byte", fmt.Sprint(len(config)-1), "--layer-part-blob", "fileb://"+cf)
			n.MustCLI(t, cli, "ecr", "complete-layer-upload", "--repository-name", repo, "--upload-id", up.UploadId, "--layer-digests", digest(config))

			manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
				`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":%q},`+
				`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":%q}]}`,
				len(config), digest(config), len(layer), digest(layer))
			var put struct {
				Image struct {
					ImageId struct{ ImageDigest, ImageTag string }
				}
			}
			framework.CLIJSON(t, n, cli, &put, "ecr", "put-image", "--repository-name", repo, "--image-tag", "v1", "--image-manifest", manifest)
			if put.Image.ImageId.ImageDigest != digest([]byte(manifest)) || put.Image.ImageId.ImageTag != "v1" {
				t.Fatalf("%+v", put)
			}
			var got struct {
				Images []struct{ ImageManifest string }
			}
			framework.CLIJSON(t, n, cli, &got, "ecr", "batch-get-image", "--repository-name", repo, "--image-ids", "imageTag=v1")
			if len(got.Images) != 1 || got.Images[0].ImageManifest != manifest {
				t.Fatalf("%+v", got)
			}
			var desc struct {
				ImageDetails []struct {
					ImageTags        []string
					ImageSizeInBytes int64
				}
			}
			framework.CLIJSON(t, n, cli, &desc, "ecr", "describe-images", "--repository-name", repo)
			if len(desc.ImageDetails) != 1 || desc.ImageDetails[0].ImageSizeInBytes != int64(len(layer)) {
				t.Fatalf("%+v", desc)
			}
			// Immutable: the tag cannot move to another manifest.
			_, errOut, err = n.RunCLI(t, cli, nil, "ecr", "put-image", "--repository-name", repo, "--image-tag", "v1", "--image-manifest", manifest+" ")
			if err == nil || !strings.Contains(errOut, "ImageTagAlreadyExistsException") {
				t.Fatalf("immutable tag: %v %s", err, errOut)
			}

			policy := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
			n.MustCLI(t, cli, "ecr", "put-lifecycle-policy", "--repository-name", repo, "--lifecycle-policy-text", policy)
			n.MustCLI(t, cli, "ecr", "start-lifecycle-policy-preview", "--repository-name", repo)
			var prev struct {
				Status  string
				Summary struct{ ExpiringImageTotalCount int }
			}
			framework.CLIJSON(t, n, cli, &prev, "ecr", "get-lifecycle-policy-preview", "--repository-name", repo)
			if prev.Status != "COMPLETE" || prev.Summary.ExpiringImageTotalCount != 0 {
				t.Fatalf("%+v", prev)
			}
			_, errOut, err = n.RunCLI(t, cli, nil, "ecr", "put-lifecycle-policy", "--repository-name", repo,
				"--lifecycle-policy-text", strings.Replace(policy, `"tagPrefixList":["v"],`, "", 1))
			if err == nil || !strings.Contains(errOut, "InvalidParameterException") || !strings.Contains(errOut, "Lifecycle policy validation failure") {
				t.Fatalf("bad lifecycle policy: %v %s", err, errOut)
			}

			var tok struct {
				AuthorizationData []struct{ AuthorizationToken, ProxyEndpoint string }
			}
			framework.CLIJSON(t, n, cli, &tok, "ecr", "get-authorization-token")
			raw, err := base64.StdEncoding.DecodeString(tok.AuthorizationData[0].AuthorizationToken)
			if err != nil || !strings.HasPrefix(string(raw), "AWS:") || !strings.Contains(tok.AuthorizationData[0].ProxyEndpoint, ".dkr.ecr."+n.Region+".localhost") {
				t.Fatalf("%+v %v", tok, err)
			}

			_, errOut, err = n.RunCLI(t, cli, nil, "ecr", "start-image-scan", "--repository-name", repo, "--image-id", "imageTag=v1")
			if err == nil || !strings.Contains(errOut, "NotImplemented") || !strings.Contains(errOut, "vulnerability") {
				t.Fatalf("start-image-scan: %v %s", err, errOut)
			}
			_, errOut, err = n.RunCLI(t, cli, nil, "ecr", "delete-repository", "--repository-name", repo)
			if err == nil || !strings.Contains(errOut, "RepositoryNotEmptyException") {
				t.Fatalf("delete without force: %v %s", err, errOut)
			}
			n.MustCLI(t, cli, "ecr", "delete-repository", "--repository-name", repo, "--force")
			_, errOut, err = n.RunCLI(t, cli, nil, "ecr", "describe-repositories", "--repository-names", repo)
			if err == nil || !strings.Contains(errOut, "RepositoryNotFoundException") {
				t.Fatalf("after delete: %v %s", err, errOut)
			}
		})
	}
}
