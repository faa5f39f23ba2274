package iam

import (
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// managedFS holds the AWS managed policies niwa ships: one JSON file per
// policy, named after it, with its path and default version as AWS
// publishes them (Document, VersionId, CreateDate). They are data, not
// code, so updating a document is replacing a file.
//
//go:embed managed/*.json
var managedFS embed.FS

// managedFile is the format of a file in managed/.
type managedFile struct {
	Path          string `json:"Path"`
	Description   string `json:"Description"`
	PolicyVersion struct {
		Document   json.RawMessage `json:"Document"`
		VersionID  string          `json:"VersionId"`
		CreateDate time.Time       `json:"CreateDate"`
	} `json:"PolicyVersion"`
}

// catalog is a read-only ManagedPolicyCatalog, read from managedFS the
// first time it is asked (26 JSON documents: ~0.2 MB and most of a
// millisecond that niwa's start-up need not spend).
type catalog struct {
	load func() (*catalogData, error)
}

type catalogData struct {
	byARN map[string]ManagedPolicy
	list  []ManagedPolicy
}

// data is the parsed catalog. The files are embedded at build time and
// parsed by the package's tests, so an error is a broken build.
func (c *catalog) data() *catalogData {
	d, err := c.load()
	if err != nil {
		panic(err)
	}
	return d
}

func (c *catalog) Lookup(arn string) (ManagedPolicy, bool) {
	p, ok := c.data().byARN[arn]
	return p, ok
}

func (c *catalog) List() []ManagedPolicy { return c.data().list }

// AWSManagedPolicies returns the catalog of the AWS managed policies niwa
// ships (AdministratorAccess, AmazonS3FullAccess, AWSLambdaBasicExecutionRole,
// ...), for WithManagedPolicies. It is read on first use.
func AWSManagedPolicies() (ManagedPolicyCatalog, error) {
	return &catalog{load: sync.OnceValues(readManagedPolicies)}, nil
}

func readManagedPolicies() (*catalogData, error) {
	entries, err := managedFS.ReadDir("managed")
	if err != nil {
		return nil, err
	}
	c := &catalogData{byARN: map[string]ManagedPolicy{}}
	for _, e := range entries {
		b, err := managedFS.ReadFile(path.Join("managed", e.Name()))
		if err != nil {
			return nil, err
		}
		var f managedFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("iam: managed policy %s: %w", e.Name(), err)
		}
		name := strings.TrimSuffix(e.Name(), ".json")
		if f.Path == "" {
			f.Path = "/"
		}
		doc, err := compactJSON(f.PolicyVersion.Document)
		if err != nil {
			return nil, fmt.Errorf("iam: managed policy %s: %w", name, err)
		}
		created := f.PolicyVersion.CreateDate.UTC()
		p := ManagedPolicy{
			ARN: "arn:aws:iam::aws:policy" + f.Path + name, Name: name, Path: f.Path,
			ID: managedID(name), DefaultVersionID: f.PolicyVersion.VersionID, Description: f.Description,
			Document: doc, CreateDate: created, UpdateDate: created,
		}
		c.byARN[p.ARN] = p
		c.list = append(c.list, p)
	}
	sort.Slice(c.list, func(i, j int) bool { return lower(c.list[i].Name) < lower(c.list[j].Name) })
	return c, nil
}

func compactJSON(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// managedID is a stable policy id (ANPA + 17 characters) derived from the
// name, so that every niwa reports the same id for the same policy.
func managedID(name string) string {
	h := sha256.Sum256([]byte("aws-managed-policy:" + name))
	b := make([]byte, 17)
	for i := range b {
		b[i] = idAlphabet[int(h[i])%len(idAlphabet)]
	}
	return "ANPA" + string(b)
}
