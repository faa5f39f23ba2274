package s3

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/protocol"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/internal/request"
)

// POST Object: a browser form upload (multipart/form-data to the bucket)
// authorised by a signed POST policy instead of a signed request. The
// signature covers only the base64 policy document; the policy's
// conditions say which form fields, key and sizes the upload may have.
// It is not an operation of the API model (no SDK sends it: the SDKs
// only generate the form), so it is a raw route ahead of the gateway.

const (
	// maxPostFields bounds the form fields before the file part (AWS
	// rejects forms whose fields exceed 20 KB).
	maxPostFields = 20 << 10
)

var (
	errInvalidPolicyDocument = awserr.Code{Code: "InvalidPolicyDocument", Status: http.StatusBadRequest, Sender: true}
	errMaxPostPreDataLength  = awserr.Code{Code: "MaxPostPreDataLengthExceeded", Status: http.StatusBadRequest, Sender: true}
)

// MatchPostObject reports whether r is a browser form upload: a POST with
// a multipart/form-data body to a bucket (path style "/<bucket>" or a
// virtual host "<bucket>.s3.<suffix>/"). It reads no storage. With
// PostObjectHandler it is the raw route internal/server puts ahead of the
// gateway's service resolution.
func (s *S3) MatchPostObject(r *http.Request) bool {
	if r.Method != http.MethodPost || r.URL.RawQuery != "" {
		return false
	}
	return isFormData(r.Header.Get("Content-Type")) && s.postBucket(r) != ""
}

// isFormData reports whether mime.ParseMediaType reads ct as
// multipart/form-data.
func isFormData(ct string) bool {
	if !maybeFormData(ct) {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "multipart/form-data"
}

// maybeFormData is false for a Content-Type that mime.ParseMediaType cannot
// read as multipart/form-data, without parsing it: the route is asked of
// every POST niwa serves (every JSON and query request), and parsing
// allocated for each. An ASCII value must begin, after spaces, with the
// type in any case; anything else (non-ASCII, whose lower case
// ParseMediaType computes by Unicode rules) is left to the parser.
func maybeFormData(ct string) bool {
	const want = "multipart/form-data"
	for i := 0; i < len(ct); i++ {
		if ct[i] >= 0x80 {
			return true
		}
	}
	ct = strings.TrimLeft(ct, " \t\r\n\v\f")
	return len(ct) >= len(want) && strings.EqualFold(ct[:len(want)], want)
}

// PostObjectHandler serves the requests MatchPostObject matches.
func (s *S3) PostObjectHandler() http.Handler { return http.HandlerFunc(s.servePostObject) }

// postBucket is the bucket a form upload names, or "".
func (s *S3) postBucket(r *http.Request) string {
	if b := hostname.S3Bucket(r.Host, s.opts.HostSuffix); b != "" {
		if r.URL.Path == "/" || r.URL.Path == "" {
			return b
		}
		return ""
	}
	p := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if p == "" || strings.Contains(p, "/") {
		return ""
	}
	return p
}

func (s *S3) servePostObject(w http.ResponseWriter, r *http.Request) {
	reqID, hostID := strings.ToUpper(awsid.Hex(16)), awsid.Hex(64)
	w.Header().Set("X-Amz-Request-Id", reqID)
	w.Header().Set("X-Amz-Id-2", hostID)
	bucket := s.postBucket(r)
	if r.Header.Get("Origin") != "" {
		hb := hostname.S3Bucket(r.Host, s.opts.HostSuffix)
		s.CORS(w, r, hb, false)
	}
	if err := s.postObject(w, r, bucket); err != nil {
		s.errDocs.write(w, err, protocol.Meta{RequestID: reqID, HostID: hostID})
	}
}

// postForm is a parsed form: the fields before the file (names
// lower-cased, first value wins as on AWS) and the file part.
type postForm struct {
	fields   map[string]string
	order    []string
	file     *multipart.Part
	filename string
}

func (f *postForm) get(name string) string { return f.fields[name] }

// readPostForm reads the fields up to the file part; the file stays
// unread in the multipart stream so that it is streamed to the blob
// store. Fields after the file are ignored, as on AWS.
func readPostForm(r *http.Request) (*postForm, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, errMalformedPOSTRequest()
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, errMalformedPOSTRequest()
		}
		name := strings.ToLower(p.FormName())
		if name == "file" {
			f.file, f.filename = p, p.FileName()
			return f, nil
		}
		v, err := io.ReadAll(io.LimitReader(p, int64(maxPostFields-total+1)))
		if err != nil {
			return nil, errMalformedPOSTRequest()
		}
		total += len(v)
		if total > maxPostFields {
			return nil, errMaxPostPreDataLength.New("Your POST request fields preceeding the upload file was too large.")
		}
		if _, dup := f.fields[name]; !dup && name != "" {
			f.fields[name] = string(v)
			f.order = append(f.order, name)
		}
	}
}

func errMalformedPOSTRequest() *awserr.Error {
	return awserr.Code{Code: "MalformedPOSTRequest", Status: http.StatusBadRequest, Sender: true}.New("The body of your POST request is not well-formed multipart/form-data.")
}

func errPolicy(format string, args ...any) *awserr.Error {
	return awserr.AccessDenied.New("Invalid according to Policy: "+format, args...)
}

// postPolicy is the decoded policy document.
type postPolicy struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

func (s *S3) postObject(w http.ResponseWriter, r *http.Request, bucket string) error {
	b, err := s.bucket(bucket)
	if err != nil {
		return err
	}
	form, err := readPostForm(r)
	if err != nil {
		return err
	}
	if s.opts.PostVerifier == nil {
		return awserr.AccessDenied.New("Access Denied")
	}
	cred, err := s.opts.PostVerifier.VerifyPostPolicy(form.get)
	if err != nil {
		return err
	}
	if !cred.Anonymous && cred.Account != b.Account {
		return awserr.AccessDenied.New("Access Denied")
	}
	if form.file == nil {
		return errInvalidArgument.New("POST requires exactly one file upload per request.").With("ArgumentName", "file").With("ArgumentValue", "0")
	}
	if _, ok := form.fields["key"]; !ok {
		return errInvalidArgument.New("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.").With("ArgumentName", "key")
	}
	// ${filename} in any field stands for the file's name (without its
	// directory), before the policy is checked.
	base := form.filename
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	for k, v := range form.fields {
		form.fields[k] = strings.ReplaceAll(v, "${filename}", base)
	}
	var lengthRange *[2]int64
	if cred.Anonymous {
		// An unsigned form is an anonymous PutObject: the bucket policy
		// (or a public-write ACL) must allow everyone to write the key.
		// It needs no policy document; one it carries is still held to.
		ok, err := s.allowsAnonymous(r.Context(), bucket, form.get("key"), "s3:PutObject")
		if err != nil {
			return err
		}
		if !ok {
			return awserr.AccessDenied.New("Access Denied")
		}
	}
	if !cred.Anonymous || form.get("policy") != "" {
		if lengthRange, err = s.checkPostPolicy(form, bucket); err != nil {
			return err
		}
	}
	return s.storePost(w, r, b, form, cred, lengthRange)
}

// checkPostPolicy decodes the policy and checks every condition and that
// every field is covered by one. It answers the content-length-range
// (nil when the policy sets none), checked once the file is stored.
func (s *S3) checkPostPolicy(form *postForm, bucket string) (*[2]int64, error) {
	raw, err := base64.StdEncoding.DecodeString(form.get("policy"))
	if err != nil {
		return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid Simple-Base64 value was encountered.")
	}
	// The document's own keys are case-sensitive ("expiration",
	// "conditions"), unlike form field names: encoding/json would match
	// "EXPIRATION" to the struct field, so the keys are read by name.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid JSON.")
	}
	var p postPolicy
	if v, ok := top["expiration"]; ok {
		if json.Unmarshal(v, &p.Expiration) != nil {
			return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid 'expiration' value: '%s'", string(v))
		}
	}
	if v, ok := top["conditions"]; ok {
		if json.Unmarshal(v, &p.Conditions) != nil {
			return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid JSON.")
		}
	}
	if p.Expiration == "" {
		return nil, errInvalidPolicyDocument.New("Invalid Policy: Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339Nano, p.Expiration)
	if err != nil {
		return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid 'expiration' value: '%s'", p.Expiration)
	}
	if p.Conditions == nil {
		return nil, errInvalidPolicyDocument.New("Invalid Policy: Policy missing conditions.")
	}
	if !s.clock.Now().Before(exp) {
		return nil, errPolicy("Policy expired.")
	}
	// value is a field as the conditions see it: "bucket" is the bucket
	// the request names.
	value := func(name string) string {
		if name == "bucket" {
			return bucket
		}
		return form.fields[name]
	}
	covered := map[string]bool{}
	var lengthRange *[2]int64
	for _, c := range p.Conditions {
		var obj map[string]any
		if json.Unmarshal(c, &obj) == nil {
			if len(obj) != 1 {
				return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
			}
			for k, v := range obj {
				name := strings.ToLower(strings.TrimPrefix(k, "$"))
				want, ok := v.(string)
				if !ok {
					return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid Condition: %s", string(c))
				}
				covered[name] = true
				if value(name) != want {
					return nil, errPolicy("Policy Condition failed: [\"eq\", \"$%s\", %q]", k, want)
				}
			}
			continue
		}
		var arr []any
		if json.Unmarshal(c, &arr) != nil || len(arr) != 3 {
			return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid Condition: %s", string(c))
		}
		op, _ := arr[0].(string)
		op = strings.ToLower(op) // operators, like field names, in any case
		switch op {
		case "content-length-range":
			lo, ok1 := arr[1].(float64)
			hi, ok2 := arr[2].(float64)
			if !ok1 || !ok2 {
				return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid content-length-range Condition: %s", string(c))
			}
			lengthRange = &[2]int64{int64(lo), int64(hi)}
		case "eq", "starts-with":
			field, ok1 := arr[1].(string)
			want, ok2 := arr[2].(string)
			if !ok1 || !ok2 || !strings.HasPrefix(field, "$") {
				return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid Condition: %s", string(c))
			}
			name := strings.ToLower(field[1:])
			covered[name] = true
			got := value(name)
			okc := got == want
			if op == "starts-with" {
				okc = strings.HasPrefix(got, want)
				if name == "content-type" && !okc && strings.Contains(got, ",") {
					// A comma-separated Content-Type passes when each
					// type starts with the prefix.
					okc = true
					for _, t := range strings.Split(got, ",") {
						okc = okc && strings.HasPrefix(strings.TrimSpace(t), want)
					}
				}
			}
			if !okc {
				return nil, errPolicy("Policy Condition failed: [%q, %q, %q]", op, field, want)
			}
		default:
			return nil, errInvalidPolicyDocument.New("Invalid Policy: Invalid Condition: %s", string(c))
		}
	}
	var extra []string
	for _, name := range form.order {
		switch {
		case name == "policy" || name == "x-amz-signature" || name == "awsaccesskeyid" || name == "signature" || name == "file",
			strings.HasPrefix(name, "x-ignore-"), covered[name],
			// Checksums of the file describe it rather than ask for
			// anything: S3 takes them without a condition.
			strings.HasPrefix(name, "x-amz-checksum-"):
		default:
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		return nil, errPolicy("Extra input fields: %s", strings.Join(extra, ", "))
	}
	return lengthRange, nil
}

// storePost streams the file into the blob store, stores the object like
// PutObject does and writes the answer the form asked for.
func (s *S3) storePost(w http.ResponseWriter, r *http.Request, b bucketRecord, form *postForm, cred request.Caller, lengthRange *[2]int64) error {
	key := form.get("key")
	if err := checkKey(key); err != nil {
		return err
	}
	ctx := &request.Context{
		Context: r.Context(), RequestID: w.Header().Get("X-Amz-Request-Id"), Service: "s3", Operation: "PostObject",
		Account: b.Account, Region: b.Region, Clock: s.clock, Log: s.opts.Log, HTTP: r,
		Caller: cred,
	}
	opt := func(name string) *string {
		if v, ok := form.fields[name]; ok {
			return &v
		}
		return nil
	}
	meta := map[string]string{}
	for k, v := range form.fields {
		if strings.HasPrefix(k, "x-amz-meta-") {
			meta[strings.TrimPrefix(k, "x-amz-meta-")] = v
		}
	}
	var expires *time.Time
	if v := form.get("expires"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			expires = &t
		}
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	o := objectRecord{Key: key, LastModified: now, Owner: objectOwner(ctx, b, opt("acl"))}
	err := applyHeaders(ctx, b, &o, objectHeaders{
		ContentType: opt("content-type"), CacheControl: opt("cache-control"), Disposition: opt("content-disposition"),
		Encoding: opt("content-encoding"), Expires: expires, Metadata: meta,
		StorageClass: opt("x-amz-storage-class"), Redirect: opt("x-amz-website-redirect-location"),
		SSE: opt("x-amz-server-side-encryption"), KMSKeyID: opt("x-amz-server-side-encryption-aws-kms-key-id"),
		SSECAlg: opt("x-amz-server-side-encryption-customer-algorithm"), SSECKey: opt("x-amz-server-side-encryption-customer-key"),
		SSECKeyMD5: opt("x-amz-server-side-encryption-customer-key-md5"),
	})
	if err != nil {
		return err
	}
	blobs, err := s.sealNew(ctx, b, &o, opt("x-amz-server-side-encryption-context"))
	if err != nil {
		return err
	}
	if o.ACL, err = writeACL(b, o.Owner, opt("acl"), grantHeaders{}); err != nil {
		return err
	}
	limit := int64(maxObjectSize)
	if lengthRange != nil && lengthRange[1]+1 < limit {
		limit = lengthRange[1] + 1
	}
	// x-amz-checksum-<algorithm> fields are verified like the headers of
	// a PutObject; x-amz-checksum-algorithm asks for one to be computed.
	sums := http.Header{}
	for name, v := range form.fields {
		if strings.HasPrefix(name, "x-amz-checksum-") && name != "x-amz-checksum-algorithm" {
			sums.Set(name, v)
		}
	}
	st, err := s.writeBodyTo(blobs, io.LimitReader(form.file, limit), sums, nil, strings.ToUpper(form.get("x-amz-checksum-algorithm")), maxObjectSize)
	if err != nil {
		return err
	}
	size := st.part.Size
	if lengthRange != nil && (size > lengthRange[1] || size < lengthRange[0]) {
		s.deleteBlobs([]blobPart{st.part})
		if size > lengthRange[1] {
			return errEntityTooLarge.New("Your proposed upload exceeds the maximum allowed size").With("ProposedSize", strconv.FormatInt(size, 10)).With("MaxSizeAllowed", strconv.FormatInt(lengthRange[1], 10))
		}
		return errEntityTooSmall.New("Your proposed upload is smaller than the minimum allowed size").With("ProposedSize", strconv.FormatInt(size, 10)).With("MinSizeAllowed", strconv.FormatInt(lengthRange[0], 10))
	}
	o.Parts = []blobPart{st.part}
	o.Size = size
	o.ETag = quoteETag(st.md5[:])
	o.Checksums = st.checksums
	if err := s.commit(ctx, b.Name, &o); err != nil {
		s.deleteBlobs(o.Parts)
		return err
	}
	s.notify(ctx, b, "ObjectCreated:Post", o)

	location := postLocation(r, b.Name, key)
	h := w.Header()
	h.Set("ETag", o.ETag)
	h.Set("Location", location)
	if v := writtenVersion(o.VersionID); v != nil {
		h.Set("X-Amz-Version-Id", *v)
	}
	if o.SSE != "" {
		h.Set("X-Amz-Server-Side-Encryption", o.SSE)
	}
	if red := form.get("success_action_redirect"); red != "" || form.get("redirect") != "" {
		if red == "" {
			red = form.get("redirect")
		}
		if u, err := url.Parse(red); err == nil && u.Scheme != "" {
			q := u.Query()
			q.Set("bucket", b.Name)
			q.Set("key", key)
			q.Set("etag", o.ETag)
			u.RawQuery = q.Encode()
			h.Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return nil
		}
	}
	switch form.get("success_action_status") {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		if err := s.errDocs.writePostResponse(w, location, b.Name, key, o.ETag); err != nil {
			// The object is stored; only the answer failed.
			s.opts.Log.Error("writing the POST object response", "error", err)
		}
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// postLocation is the object's URL as the Location header gives it.
func postLocation(r *http.Request, bucket, key string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	esc := url.PathEscape(key)
	esc = strings.ReplaceAll(esc, "%2F", "/")
	if hostname.S3Bucket(r.Host, "") == "" && !strings.HasPrefix(strings.TrimPrefix(r.URL.Path, "/"), bucket) {
		return scheme + "://" + r.Host + "/" + esc
	}
	if strings.Trim(r.URL.Path, "/") == bucket {
		return scheme + "://" + r.Host + "/" + bucket + "/" + esc
	}
	return scheme + "://" + r.Host + "/" + esc
}
