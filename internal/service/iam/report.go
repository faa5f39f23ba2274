package iam

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The credential report (GenerateCredentialReport, GetCredentialReport)
// and account aliases.

type credentialReport struct {
	Generated time.Time `json:"generated"`
	// Complete is false until a second GenerateCredentialReport (or a
	// GetCredentialReport) after the report was started: AWS builds the
	// report in the background and answers STARTED first.
	Complete bool   `json:"complete"`
	CSV      []byte `json:"csv"`
}

// reportMaxAge is how long a report stays current: after four hours AWS
// answers ReportExpired and a new GenerateCredentialReport starts over.
const reportMaxAge = 4 * time.Hour

// reportColumns are the credential report's columns, in AWS's order.
var reportColumns = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}

func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func (s *IAM) GenerateCredentialReport(ctx *request.Context, _ *iamapi.GenerateCredentialReportInput) (*iamapi.GenerateCredentialReportOutput, error) {
	var out *iamapi.GenerateCredentialReportOutput
	err := s.updateSettings(ctx, func(tx storage.Tx, sc storage.Scope, a *accountRecord) error {
		if a.Report != nil && ctx.Now().Sub(a.Report.Generated) < reportMaxAge {
			a.Report.Complete = true
			out = &iamapi.GenerateCredentialReportOutput{State: ptr.To("COMPLETE")}
			return nil
		}
		content, err := buildReport(tx, sc, ctx, a)
		if err != nil {
			return err
		}
		a.Report = &credentialReport{Generated: now(ctx), CSV: content}
		out = &iamapi.GenerateCredentialReportOutput{State: ptr.To("STARTED"), Description: ptr.To("No report exists. Starting a new report generation task")}
		return nil
	})
	return out, err
}

func (s *IAM) GetCredentialReport(ctx *request.Context, _ *iamapi.GetCredentialReportInput) (*iamapi.GetCredentialReportOutput, error) {
	var r *credentialReport
	err := s.updateSettings(ctx, func(_ storage.Tx, _ storage.Scope, a *accountRecord) error {
		if a.Report == nil {
			return iamapi.ErrCredentialReportNotPresentException.New("Credential report does not exist. Use GenerateCredentialReport to generate a report.")
		}
		if ctx.Now().Sub(a.Report.Generated) >= reportMaxAge {
			return iamapi.ErrCredentialReportExpiredException.New("Credential report has expired. Use GenerateCredentialReport to generate a new report.")
		}
		// The background task has had its turn by the time anyone asks.
		a.Report.Complete = true
		r = a.Report
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetCredentialReportOutput{Content: r.CSV, ReportFormat: ptr.To("text/csv"), GeneratedTime: ptr.To(r.Generated)}, nil
}

// buildReport writes the CSV: the root user first, then every IAM user in
// name order.
func buildReport(tx storage.Tx, sc storage.Scope, ctx *request.Context, a *accountRecord) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(reportColumns); err != nil {
		return nil, err
	}
	keyCols := func(ids []string) ([]string, error) {
		var cols []string
		for i := 0; i < 2; i++ {
			if i >= len(ids) {
				cols = append(cols, "false", "N/A", "N/A", "N/A", "N/A")
				continue
			}
			k, _, err := accessKeys.Get(tx, keyScope, ids[i])
			if err != nil {
				return nil, err
			}
			used, region, service := "N/A", "N/A", "N/A"
			if k.LastUsed != nil {
				used, region, service = reportTime(k.LastUsed.Date), k.LastUsed.Region, k.LastUsed.Service
			}
			cols = append(cols, strconv.FormatBool(k.Status == keyStatusActive), reportTime(k.CreateDate), used, region, service)
		}
		return cols, nil
	}
	certCols := func(certs []signingCert) []string {
		var cols []string
		for i := 0; i < 2; i++ {
			if i >= len(certs) {
				cols = append(cols, "false", "N/A")
				continue
			}
			cols = append(cols, strconv.FormatBool(certs[i].Status == keyStatusActive), reportTime(certs[i].UploadDate))
		}
		return cols
	}
	rootKeys, err := userKeyIDs(tx, sc, "")
	if err != nil {
		return nil, err
	}
	kc, err := keyCols(rootKeys)
	if err != nil {
		return nil, err
	}
	row := append([]string{"<root_account>", rootARN(ctx.Account), reportTime(time.Unix(0, 0)), "not_supported", "no_information", "not_supported", "not_supported", strconv.FormatBool(a.RootMFA != "")}, kc...)
	if err := w.Write(append(row, "false", "N/A", "false", "N/A")); err != nil {
		return nil, err
	}
	var ferr error
	err = users.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, u userRecord) bool {
		pwEnabled, pwUsed, pwChanged, pwNext := "false", "N/A", "N/A", "N/A"
		if u.Login != nil {
			pwEnabled, pwUsed = "true", "no_information"
			changed := u.Login.ChangedDate
			if changed.IsZero() {
				changed = u.Login.CreateDate
			}
			pwChanged = reportTime(changed)
			if a.PasswordPolicy != nil && a.PasswordPolicy.MaxAge > 0 {
				pwNext = reportTime(changed.Add(time.Duration(a.PasswordPolicy.MaxAge) * 24 * time.Hour))
			}
		}
		if u.PasswordLastUsed != nil {
			pwUsed = reportTime(*u.PasswordLastUsed)
		}
		ids, err := userKeyIDs(tx, sc, u.Name)
		if err != nil {
			ferr = err
			return false
		}
		kc, err := keyCols(ids)
		if err != nil {
			ferr = err
			return false
		}
		row := append([]string{u.Name, userARN(ctx.Account, &u), reportTime(u.CreateDate), pwEnabled, pwUsed, pwChanged, pwNext, strconv.FormatBool(len(u.MFA) > 0)}, kc...)
		ferr = w.Write(append(row, certCols(u.SigningCerts)...))
		return ferr == nil
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// --- account aliases -------------------------------------------------------

func validAlias(a string) bool {
	if len(a) < 3 || len(a) > 63 || a[0] == '-' || a[len(a)-1] == '-' {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') || c == '-' && a[i-1] == '-' {
			return false
		}
	}
	return true
}

// CreateAccountAlias sets the account's one alias. Aliases are unique
// across accounts.
func (s *IAM) CreateAccountAlias(ctx *request.Context, in *iamapi.CreateAccountAliasInput) (*iamapi.CreateAccountAliasOutput, error) {
	alias, err := required("accountAlias", in.AccountAlias)
	if err != nil {
		return nil, err
	}
	if !validAlias(alias) {
		return nil, validation("Value '%s' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", alias)
	}
	return empty[iamapi.CreateAccountAliasOutput](s.updateSettings(ctx, func(tx storage.Tx, _ storage.Scope, a *accountRecord) error {
		owner, taken, err := aliases.Get(tx, keyScope, alias)
		if err != nil {
			return err
		}
		if taken {
			if owner == ctx.Account {
				return nil // creating the alias the account has is a no-op
			}
			return iamapi.ErrEntityAlreadyExistsException.New("The account alias %s already exists.", alias)
		}
		if a.Alias != "" {
			return limitExceeded("Cannot exceed quota for AccountAliasesPerAccount: 1")
		}
		a.Alias = alias
		return aliases.Put(tx, keyScope, ctx.Account, alias)
	}))
}

func (s *IAM) DeleteAccountAlias(ctx *request.Context, in *iamapi.DeleteAccountAliasInput) (*iamapi.DeleteAccountAliasOutput, error) {
	alias, err := required("accountAlias", in.AccountAlias)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.DeleteAccountAliasOutput](s.updateSettings(ctx, func(tx storage.Tx, _ storage.Scope, a *accountRecord) error {
		if a.Alias != alias {
			return iamapi.ErrNoSuchEntityException.New("The account alias %s cannot be found.", alias)
		}
		a.Alias = ""
		return aliases.Delete(tx, keyScope, alias)
	}))
}

func (s *IAM) ListAccountAliases(ctx *request.Context, in *iamapi.ListAccountAliasesInput) (*iamapi.ListAccountAliasesOutput, error) {
	if _, err := newPage(in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	var a accountRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		a, err = getSettings(tx, scope(ctx))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListAccountAliasesOutput{AccountAliases: []string{}, IsTruncated: ptr.To(false)}
	if a.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, a.Alias)
	}
	return out, nil
}
