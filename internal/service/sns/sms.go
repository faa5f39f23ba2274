package sns

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SMS. niwa sends no texts: what SNS would text is recorded and served at
// GET /_niwa/sns/sms[?phoneNumber=+15550100]. That includes the one-time
// passwords of SMS sandbox numbers, which is how a test learns the code
// VerifySMSSandboxPhoneNumber wants.

type smsMessage struct {
	Time            string `json:"timestamp"`
	PhoneNumber     string `json:"phoneNumber"`
	TopicArn        string `json:"topicArn,omitempty"`
	SubscriptionArn string `json:"subscriptionArn,omitempty"`
	MessageID       string `json:"messageId"`
	Message         string `json:"message"`
	// SMSType and SenderID: the message's AWS.SNS.SMS.SMSType and
	// AWS.SNS.SMS.SenderID attributes, else the account's DefaultSMSType
	// and DefaultSenderID.
	SMSType  string `json:"smsType,omitempty"`
	SenderID string `json:"senderId,omitempty"`
}

type sandboxNumber struct {
	Number   string `json:"number"`
	Status   string `json:"status"`
	Language string `json:"language,omitempty"`
	OTP      string `json:"otp"`
}

type smsSettings struct {
	Attrs map[string]string `json:"attrs"`
}

type optOut struct {
	Number string `json:"number"`
}

var (
	smsMessages = storage.NewTable[smsMessage]("sms")
	sandbox     = storage.NewTable[sandboxNumber]("sandbox")
	smsAttrs    = storage.NewTable[smsSettings]("smsattrs")
	optOuts     = storage.NewTable[optOut]("optout")
)

// e164 is the E.164 form SNS wants: '+', a country code not starting with
// 0, at most 15 digits in all.
var e164 = lazyre.New(`^\+[1-9][0-9]{1,14}$`)

// smsAttrNames are the account SMS attributes SetSMSAttributes accepts.
var smsAttrNames = map[string]bool{
	"MonthlySpendLimit": true, "DeliveryStatusIAMRole": true, "DeliveryStatusSuccessSamplingRate": true,
	"DefaultSenderID": true, "DefaultSMSType": true, "UsageReportS3Bucket": true,
}

var senderID = lazyre.New(`^[A-Za-z0-9]{1,11}$`)

// maxSMS is the longest message SNS publishes to a phone number.
const maxSMS = 1600

func (s *SNS) publishSMS(ctx *request.Context, in *snsapi.PublishInput) (*snsapi.PublishResponse, error) {
	number := *in.PhoneNumber
	if !e164.MatchString(number) {
		return nil, errInvalidParam.New("Invalid parameter: PhoneNumber Reason: %s is not valid to publish to", number)
	}
	p := &publication{message: ptr.Deref(in.Message), subject: ptr.Deref(in.Subject), hasSubject: in.Subject != nil, structure: ptr.Deref(in.MessageStructure), attrs: in.MessageAttributes}
	if err := checkMessage(p); err != nil {
		return nil, err
	}
	msg := messageFor(p, "sms")
	if len(msg) > maxSMS {
		return nil, errInvalidParam.New("Invalid parameter: Message Reason: Message must be less than 1600 characters long")
	}
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	var opted bool
	if err := s.store.View(func(tx storage.Tx) error {
		_, opted = tx.Get(optOuts.Key(sc, number))
		return nil
	}); err != nil {
		return nil, err
	}
	if opted {
		return nil, snsapi.ErrOptedOutException.New("Phone number is opted out")
	}
	id := awsid.UUID()
	if err := s.recordSMS(sc, ctx.Now(), number, "", "", id, msg, in.MessageAttributes); err != nil {
		return nil, err
	}
	return &snsapi.PublishResponse{MessageId: &id}, nil
}

// recordSMS records a text SNS would send, unless the number opted out.
func (s *SNS) recordSMS(sc storage.Scope, now time.Time, number, topicArn, subArn, msgID, msg string, attrs map[string]snsapi.MessageAttributeValue) error {
	return s.store.Update(func(tx storage.Tx) error {
		if _, opted := tx.Get(optOuts.Key(sc, number)); opted {
			return nil
		}
		settings, _, err := smsAttrs.Get(tx, sc, "account")
		if err != nil {
			return err
		}
		pick := func(attr, setting string) string {
			if v, ok := attrs[attr]; ok && v.StringValue != nil {
				return *v.StringValue
			}
			return settings.Attrs[setting]
		}
		return smsMessages.Put(tx, sc, smsMessage{Time: timestamp(now), PhoneNumber: number, TopicArn: topicArn,
			SubscriptionArn: subArn, MessageID: msgID, Message: msg,
			SMSType:  pick("AWS.SNS.SMS.SMSType", "DefaultSMSType"),
			SenderID: pick("AWS.SNS.SMS.SenderID", "DefaultSenderID")}, s.recordKey(now), msgID)
	})
}

// SetSMSAttributes sets the account's SMS preferences.
func (s *SNS) SetSMSAttributes(ctx *request.Context, in *snsapi.SetSMSAttributesInput) (*snsapi.SetSMSAttributesResponse, error) {
	for k, v := range in.Attributes {
		if !smsAttrNames[k] {
			return nil, errInvalidParam.New("Invalid parameter: %s", k)
		}
		switch k {
		case "DefaultSMSType":
			if v != "Promotional" && v != "Transactional" {
				return nil, errInvalidParam.New("Invalid parameter: DefaultSMSType Reason: %s is not a valid value; use Promotional or Transactional", v)
			}
		case "DefaultSenderID":
			if !senderID.MatchString(v) || strings.Trim(v, "0123456789") == "" {
				return nil, errInvalidParam.New("Invalid parameter: DefaultSenderID Reason: must be 1-11 alphanumeric characters, at least one of them a letter")
			}
		case "MonthlySpendLimit":
			if v == "" || strings.Trim(v, "0123456789") != "" {
				return nil, errInvalidParam.New("Invalid parameter: MonthlySpendLimit Reason: must be a whole number of US dollars")
			}
		case "DeliveryStatusSuccessSamplingRate":
			if v == "" || strings.Trim(v, "0123456789") != "" || len(v) > 3 || atoi(v) > 100 {
				return nil, errInvalidParam.New("Invalid parameter: DeliveryStatusSuccessSamplingRate Reason: must be an integer from 0 to 100")
			}
		}
	}
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	return &snsapi.SetSMSAttributesResponse{}, s.store.Update(func(tx storage.Tx) error {
		cur, _, err := smsAttrs.Get(tx, sc, "account")
		if err != nil {
			return err
		}
		if cur.Attrs == nil {
			cur.Attrs = map[string]string{}
		}
		for k, v := range in.Attributes {
			cur.Attrs[k] = v
		}
		return smsAttrs.Put(tx, sc, cur, "account")
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// GetSMSAttributes returns the named SMS preferences, or all that are set.
func (s *SNS) GetSMSAttributes(ctx *request.Context, in *snsapi.GetSMSAttributesInput) (*snsapi.GetSMSAttributesResponse, error) {
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	var cur smsSettings
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		cur, _, err = smsAttrs.Get(tx, sc, "account")
		return err
	}); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range cur.Attrs {
		out[k] = v
	}
	if len(in.Attributes) > 0 {
		picked := map[string]string{}
		for _, k := range in.Attributes {
			if v, ok := out[k]; ok {
				picked[k] = v
			}
		}
		out = picked
	}
	return &snsapi.GetSMSAttributesResponse{Attributes: out}, nil
}

func phoneArg(n *string) (string, error) {
	if n == nil || !e164.MatchString(*n) {
		return "", errInvalidParam.New("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
	}
	return *n, nil
}

// CheckIfPhoneNumberIsOptedOut tells whether a number opted out.
func (s *SNS) CheckIfPhoneNumberIsOptedOut(ctx *request.Context, in *snsapi.CheckIfPhoneNumberIsOptedOutInput) (*snsapi.CheckIfPhoneNumberIsOptedOutResponse, error) {
	n, err := phoneArg(in.PhoneNumber)
	if err != nil {
		return nil, err
	}
	var opted bool
	if err := s.store.View(func(tx storage.Tx) error {
		_, opted = tx.Get(optOuts.Key(storage.Scope{Account: ctx.Account, Region: ctx.Region}, n))
		return nil
	}); err != nil {
		return nil, err
	}
	return &snsapi.CheckIfPhoneNumberIsOptedOutResponse{IsOptedOut: &opted}, nil
}

// ListPhoneNumbersOptedOut lists opted-out numbers, 100 per page.
func (s *SNS) ListPhoneNumbersOptedOut(ctx *request.Context, in *snsapi.ListPhoneNumbersOptedOutInput) (*snsapi.ListPhoneNumbersOptedOutResponse, error) {
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	opts := storage.ListOptions{Limit: listPageSize + 1}
	if in.NextToken != nil && *in.NextToken != "" {
		opts.After = []string{*in.NextToken}
	}
	out := &snsapi.ListPhoneNumbersOptedOutResponse{PhoneNumbers: []string{}}
	err := s.store.View(func(tx storage.Tx) error {
		return optOuts.List(tx, sc, nil, opts, func(_ []string, o optOut) bool {
			if len(out.PhoneNumbers) == listPageSize {
				tok := out.PhoneNumbers[listPageSize-1]
				out.NextToken = &tok
				return false
			}
			out.PhoneNumbers = append(out.PhoneNumbers, o.Number)
			return true
		})
	})
	return out, err
}

// OptInPhoneNumber opts a number back in.
func (s *SNS) OptInPhoneNumber(ctx *request.Context, in *snsapi.OptInPhoneNumberInput) (*snsapi.OptInPhoneNumberResponse, error) {
	n, err := phoneArg(in.PhoneNumber)
	if err != nil {
		return nil, err
	}
	return &snsapi.OptInPhoneNumberResponse{}, s.store.Update(func(tx storage.Tx) error {
		return optOuts.Delete(tx, storage.Scope{Account: ctx.Account, Region: ctx.Region}, n)
	})
}

// OptOut records that a number replied STOP (niwa's stand-in for the
// recipient; see the /_niwa/sns/opt-out route).
func (s *SNS) OptOut(sc storage.Scope, number string) error {
	if !e164.MatchString(number) {
		return errInvalidParam.New("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
	}
	return s.store.Update(func(tx storage.Tx) error { return optOuts.Put(tx, sc, optOut{Number: number}, number) })
}

// sandboxLanguages are the languages SNS sends verification texts in.
var sandboxLanguages = map[string]bool{
	"en-US": true, "en-GB": true, "es-419": true, "es-ES": true, "de-DE": true, "fr-CA": true, "fr-FR": true,
	"it-IT": true, "ja-JP": true, "pt-BR": true, "kr-KR": true, "zh-CN": true, "zh-TW": true,
}

// CreateSMSSandboxPhoneNumber adds a destination number to the sandbox
// and "texts" it a one-time password (recorded at /_niwa/sns/sms).
func (s *SNS) CreateSMSSandboxPhoneNumber(ctx *request.Context, in *snsapi.CreateSMSSandboxPhoneNumberInput) (*snsapi.CreateSMSSandboxPhoneNumberResult, error) {
	n := ptr.Deref(in.PhoneNumber)
	if !e164.MatchString(n) {
		return nil, errInvalidParam.New("Invalid parameter: PhoneNumber Reason: %s is not a valid phone number", n)
	}
	lang := "en-US"
	if in.LanguageCode != nil {
		lang = *in.LanguageCode
		if !sandboxLanguages[lang] {
			return nil, errInvalidParam.New("Invalid parameter: LanguageCode Reason: %s is not supported", lang)
		}
	}
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	otp := oneTimePassword()
	err := s.store.Update(func(tx storage.Tx) error {
		cur, found, err := sandbox.Get(tx, sc, n)
		if err != nil {
			return err
		}
		if found && cur.Status == "Verified" {
			return errInvalidParam.New("Invalid parameter: PhoneNumber Reason: %s is already verified", n)
		}
		return sandbox.Put(tx, sc, sandboxNumber{Number: n, Status: "Pending", Language: lang, OTP: otp}, n)
	})
	if err != nil {
		return nil, err
	}
	if err := s.recordSMS(sc, ctx.Now(), n, "", "", awsid.UUID(), "Your Amazon SNS verification code is "+otp, nil); err != nil {
		return nil, err
	}
	return &snsapi.CreateSMSSandboxPhoneNumberResult{}, nil
}

func oneTimePassword() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return "000000"
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// VerifySMSSandboxPhoneNumber verifies a sandbox number with its code.
func (s *SNS) VerifySMSSandboxPhoneNumber(ctx *request.Context, in *snsapi.VerifySMSSandboxPhoneNumberInput) (*snsapi.VerifySMSSandboxPhoneNumberResult, error) {
	n := ptr.Deref(in.PhoneNumber)
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	return &snsapi.VerifySMSSandboxPhoneNumberResult{}, s.store.Update(func(tx storage.Tx) error {
		cur, found, err := sandbox.Get(tx, sc, n)
		if err != nil {
			return err
		}
		if !found {
			return snsapi.ErrResourceNotFoundException.New("Phone number %s is not in the SMS sandbox", n)
		}
		if cur.Status == "Verified" {
			return nil
		}
		if ptr.Deref(in.OneTimePassword) != cur.OTP {
			return snsapi.ErrVerificationException.New("Invalid one-time password")
		}
		cur.Status = "Verified"
		return sandbox.Put(tx, sc, cur, n)
	})
}

// DeleteSMSSandboxPhoneNumber removes a sandbox number.
func (s *SNS) DeleteSMSSandboxPhoneNumber(ctx *request.Context, in *snsapi.DeleteSMSSandboxPhoneNumberInput) (*snsapi.DeleteSMSSandboxPhoneNumberResult, error) {
	n := ptr.Deref(in.PhoneNumber)
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	return &snsapi.DeleteSMSSandboxPhoneNumberResult{}, s.store.Update(func(tx storage.Tx) error {
		if _, found := tx.Get(sandbox.Key(sc, n)); !found {
			return snsapi.ErrResourceNotFoundException.New("Phone number %s is not in the SMS sandbox", n)
		}
		return sandbox.Delete(tx, sc, n)
	})
}

func maxResults(n *int32, limit int32) (int, error) {
	if n == nil {
		return int(limit), nil
	}
	if *n < 1 || *n > limit {
		return 0, snsapi.ErrValidationException.New("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *n, limit)
	}
	return int(*n), nil
}

// ListSMSSandboxPhoneNumbers lists sandbox numbers.
func (s *SNS) ListSMSSandboxPhoneNumbers(ctx *request.Context, in *snsapi.ListSMSSandboxPhoneNumbersInput) (*snsapi.ListSMSSandboxPhoneNumbersResult, error) {
	limit, err := maxResults(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	opts := storage.ListOptions{Limit: limit + 1}
	if in.NextToken != nil && *in.NextToken != "" {
		opts.After = []string{*in.NextToken}
	}
	out := &snsapi.ListSMSSandboxPhoneNumbersResult{PhoneNumbers: []snsapi.SMSSandboxPhoneNumber{}}
	err = s.store.View(func(tx storage.Tx) error {
		return sandbox.List(tx, sc, nil, opts, func(_ []string, b sandboxNumber) bool {
			if len(out.PhoneNumbers) == limit {
				tok := *out.PhoneNumbers[limit-1].PhoneNumber
				out.NextToken = &tok
				return false
			}
			n, st := b.Number, b.Status
			out.PhoneNumbers = append(out.PhoneNumbers, snsapi.SMSSandboxPhoneNumber{PhoneNumber: &n, Status: &st})
			return true
		})
	})
	return out, err
}

// GetSMSSandboxAccountStatus: niwa's accounts are out of the sandbox (it
// texts nobody, so it restricts no destination).
func (s *SNS) GetSMSSandboxAccountStatus(ctx *request.Context, in *snsapi.GetSMSSandboxAccountStatusInput) (*snsapi.GetSMSSandboxAccountStatusResult, error) {
	f := false
	return &snsapi.GetSMSSandboxAccountStatusResult{IsInSandbox: &f}, nil
}

// ListOriginationNumbers: niwa owns no origination numbers, so the list
// is empty; MaxResults is validated as SNS does (1 to 30).
func (s *SNS) ListOriginationNumbers(ctx *request.Context, in *snsapi.ListOriginationNumbersRequest) (*snsapi.ListOriginationNumbersResult, error) {
	if _, err := maxResults(in.MaxResults, 30); err != nil {
		return nil, err
	}
	return &snsapi.ListOriginationNumbersResult{PhoneNumbers: []snsapi.PhoneNumberInformation{}}, nil
}
