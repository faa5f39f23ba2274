package lambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Limits of deployment packages (AWS quotas).
const (
	maxZipDirect = 50 << 20  // 50 MB zipped, direct upload
	maxUnzipped  = 250 << 20 // 250 MB unzipped, function and layers
)

// storedCode is a validated deployment package in the blob store.
type storedCode struct {
	Ref      storage.BlobRef
	Sha256   string // base64, as CodeSha256
	Unzipped int64
}

// storeZip validates a zip and keeps it in the blob store.
func (l *Lambda) storeZip(data []byte) (storedCode, error) {
	return l.storeZipMax(data, maxZipDirect)
}

func (l *Lambda) storeZipMax(data []byte, max int) (storedCode, error) {
	if len(data) > max {
		return storedCode{}, lambdaapi.ErrRequestTooLargeException.New("Request must be smaller than 70167211 bytes for the CreateFunction operation").With("Type", "User")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return storedCode{}, errInvalidParam("Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	var unzipped int64
	for _, f := range zr.File {
		unzipped += int64(f.UncompressedSize64)
	}
	if unzipped > maxUnzipped {
		return storedCode{}, errInvalidParam("Unzipped size must be smaller than 262144000 bytes")
	}
	w, err := l.opt.Blobs.Create()
	if err != nil {
		return storedCode{}, err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return storedCode{}, err
	}
	ref, err := w.Commit()
	if err != nil {
		return storedCode{}, err
	}
	sum := sha256.Sum256(data)
	return storedCode{Ref: ref, Sha256: base64.StdEncoding.EncodeToString(sum[:]), Unzipped: unzipped}, nil
}

// codeDir returns the directory holding the unpacked package with this
// digest, extracting it on first use. Directories are content-addressed,
// so versions sharing code share a directory and nothing is extracted
// twice; extraction goes to a temporary directory renamed into place, so
// a half-extracted package is never used.
func (l *Lambda) codeDir(kind string, ref storage.BlobRef, sha string) (string, error) {
	raw, _ := base64.StdEncoding.DecodeString(sha)
	dir := filepath.Join(l.opt.WorkDir, kind, hex.EncodeToString(raw))
	l.unpackMu.Lock()
	defer l.unpackMu.Unlock()
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir, nil
	}
	rc, err := l.opt.Blobs.Open(ref.ID)
	if err != nil {
		return "", fmt.Errorf("lambda: opening code: %w", err)
	}
	data, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-")
	if err != nil {
		return "", err
	}
	if err := unzipTo(data, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	return dir, nil
}

// unzipTo extracts a zip under dir, refusing entries that would escape it.
func unzipTo(data []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		target := filepath.Join(dir, name)
		if !strings.HasPrefix(target, filepath.Clean(dir)+string(os.PathSeparator)) {
			continue
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		mode := f.Mode().Perm()
		// Zips made on Windows or by tools that drop Unix modes carry
		// none; Lambda reads code as world-readable and runs bootstrap.
		mode |= 0o444
		if filepath.Base(name) == "bootstrap" || mode&0o111 != 0 {
			mode |= 0o555
		}
		if f.Mode()&os.ModeSymlink != 0 {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			link, _ := io.ReadAll(rc)
			_ = rc.Close()
			_ = os.Symlink(string(link), target)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode|0o200)
		if err != nil {
			_ = rc.Close()
			return err
		}
		_, err = io.Copy(out, rc)
		_ = rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// codeStorageLimit is AWS's default quota on the code an account keeps in
// a region: every function version's package and every layer version
// (75 GB).
const codeStorageLimit = 75 << 30

// checkCodeStorage refuses code that would take the account's stored code
// past its quota (Options.CodeStorageLimit, AWS's 75 GB by default),
// counting what every function version and layer version holds. The new
// code is already in the blob store; the caller drops it on refusal.
func (l *Lambda) checkCodeStorage(sc storage.Scope, size int64) error {
	limit := l.opt.CodeStorageLimit
	if limit <= 0 {
		limit = codeStorageLimit
	}
	var used int64
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		if err := versions.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v version) bool {
			used += v.Code.Size
			return true
		}); err != nil {
			return err
		}
		return layers.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v layerVersion) bool {
			used += v.Code.Size
			return true
		})
	}); err != nil {
		return err
	}
	if used+size > limit {
		return lambdaapi.ErrCodeStorageExceededException.New("Code storage limit exceeded.").With("Type", "User")
	}
	return nil
}
