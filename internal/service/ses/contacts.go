package ses

import (
	"time"

	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// contactList is a v2 contact list (list management): its topics.
type contactList struct {
	Name        string
	Description string
	Topics      []sesv2api.Topic
	Created     time.Time
	Updated     time.Time
}

// contact is one address on a contact list.
type contact struct {
	Address        string
	Preferences    []sesv2api.TopicPreference
	UnsubscribeAll bool
	Attributes     string
	Created        time.Time
	Updated        time.Time
}

var (
	contactLists = storage.NewTable[contactList]("contactlist")
	contacts     = storage.NewTable[contact]("contact")
)

// maxContactLists: SES allows one contact list per account and region
// ("Service quotas": contact lists per account).
const maxContactLists = 1

func errNoContactList(name string) error {
	return sesv2api.ErrNotFoundException.New("List with name %s does not exist.", name)
}

// page cuts keys after token into a page of size (default and most
// 1000), answering the next token.
func page[T any](items []T, keyOf func(T) string, token *string, size *int32) ([]T, *string) {
	n := int(ptr.Deref(size))
	if n <= 0 || n > 1000 {
		n = 1000
	}
	start := ptr.Deref(token)
	var out []T
	for _, it := range items {
		if start != "" && keyOf(it) <= start {
			continue
		}
		if len(out) == n {
			return out, ptr.To(keyOf(out[n-1]))
		}
		out = append(out, it)
	}
	return out, nil
}

// CreateContactList makes the account's contact list.
func (s *V2) CreateContactList(ctx *request.Context, in *sesv2api.CreateContactListRequest) (*sesv2api.CreateContactListResponse, error) {
	name := ptr.Deref(in.ContactListName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		n := 0
		exists := false
		err := contactLists.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(k []string, _ contactList) bool {
			n++
			exists = exists || k[len(k)-1] == name
			return true
		})
		if err != nil {
			return err
		}
		if exists {
			return sesv2api.ErrAlreadyExistsException.New("List with name %s already exists.", name)
		}
		if n >= maxContactLists {
			return sesv2api.ErrLimitExceededException.New("Maximum number of contact lists (%d) exceeded.", maxContactLists)
		}
		return contactLists.Put(tx, scope(ctx.Account, ctx.Region), contactList{Name: name, Description: ptr.Deref(in.Description),
			Topics: in.Topics, Created: ctx.Now(), Updated: ctx.Now()}, name)
	})
	if err == nil {
		err = s.c.setTags(ctx, sesARN(ctx, "contact-list", name), in.Tags)
	}
	if err != nil {
		return nil, err
	}
	return &sesv2api.CreateContactListResponse{}, nil
}

func (c *Core) contactList(ctx *request.Context, name string) (contactList, error) {
	var cl contactList
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		cl, ok, err = contactLists.Get(tx, scope(ctx.Account, ctx.Region), name)
		return err
	})
	if err == nil && !ok {
		err = errNoContactList(name)
	}
	return cl, err
}

// GetContactList describes a contact list.
func (s *V2) GetContactList(ctx *request.Context, in *sesv2api.GetContactListRequest) (*sesv2api.GetContactListResponse, error) {
	cl, err := s.c.contactList(ctx, ptr.Deref(in.ContactListName))
	if err != nil {
		return nil, err
	}
	tags, err := s.c.tagsOf(ctx, sesARN(ctx, "contact-list", cl.Name))
	if err != nil {
		return nil, err
	}
	return &sesv2api.GetContactListResponse{ContactListName: ptr.To(cl.Name), Topics: append([]sesv2api.Topic{}, cl.Topics...),
		Description: nonEmpty(cl.Description), CreatedTimestamp: ptr.To(cl.Created), LastUpdatedTimestamp: ptr.To(cl.Updated),
		Tags: tags}, nil
}

// ListContactLists lists the contact lists.
func (s *V2) ListContactLists(ctx *request.Context, in *sesv2api.ListContactListsRequest) (*sesv2api.ListContactListsResponse, error) {
	var all []contactList
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return contactLists.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, cl contactList) bool {
			all = append(all, cl)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	got, next := page(all, func(cl contactList) string { return cl.Name }, in.NextToken, in.PageSize)
	out := &sesv2api.ListContactListsResponse{ContactLists: []sesv2api.ContactList{}, NextToken: next}
	for _, cl := range got {
		out.ContactLists = append(out.ContactLists, sesv2api.ContactList{ContactListName: ptr.To(cl.Name), LastUpdatedTimestamp: ptr.To(cl.Updated)})
	}
	return out, nil
}

// UpdateContactList replaces a list's topics and description.
func (s *V2) UpdateContactList(ctx *request.Context, in *sesv2api.UpdateContactListRequest) (*sesv2api.UpdateContactListResponse, error) {
	name := ptr.Deref(in.ContactListName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		cl, ok, err := contactLists.Get(tx, scope(ctx.Account, ctx.Region), name)
		if err != nil {
			return err
		}
		if !ok {
			return errNoContactList(name)
		}
		cl.Topics, cl.Description, cl.Updated = in.Topics, ptr.Deref(in.Description), ctx.Now()
		return contactLists.Put(tx, scope(ctx.Account, ctx.Region), cl, name)
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.UpdateContactListResponse{}, nil
}

// DeleteContactList deletes a list and its contacts.
func (s *V2) DeleteContactList(ctx *request.Context, in *sesv2api.DeleteContactListRequest) (*sesv2api.DeleteContactListResponse, error) {
	name := ptr.Deref(in.ContactListName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		ok, err := contactLists.DeleteExisting(tx, scope(ctx.Account, ctx.Region), name)
		if err != nil {
			return err
		}
		if !ok {
			return errNoContactList(name)
		}
		if err := resourceTags.Delete(tx, scope(ctx.Account, ctx.Region), sesARN(ctx, "contact-list", name)); err != nil {
			return err
		}
		var keys []string
		err = contacts.List(tx, scope(ctx.Account, ctx.Region), []string{name}, storage.ListOptions{}, func(k []string, _ contact) bool {
			keys = append(keys, k[len(k)-1])
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := contacts.Delete(tx, scope(ctx.Account, ctx.Region), name, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.DeleteContactListResponse{}, nil
}

// putContact creates (create) or updates a contact.
func (c *Core) putContact(ctx *request.Context, list, addr string, create bool, fn func(*contact)) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		if _, ok, err := contactLists.Get(tx, scope(ctx.Account, ctx.Region), list); err != nil || !ok {
			if err != nil {
				return err
			}
			return errNoContactList(list)
		}
		ct, ok, err := contacts.Get(tx, scope(ctx.Account, ctx.Region), list, key(addr))
		if err != nil {
			return err
		}
		switch {
		case create && ok:
			return sesv2api.ErrAlreadyExistsException.New("Contact already exists in list %s", list)
		case !create && !ok:
			return sesv2api.ErrNotFoundException.New("Contact %s does not exist in list %s", addr, list)
		case create:
			ct = contact{Address: addr, Created: ctx.Now()}
		}
		fn(&ct)
		ct.Updated = ctx.Now()
		return contacts.Put(tx, scope(ctx.Account, ctx.Region), ct, list, key(addr))
	})
}

// CreateContact adds an address to a list.
func (s *V2) CreateContact(ctx *request.Context, in *sesv2api.CreateContactRequest) (*sesv2api.CreateContactResponse, error) {
	err := s.c.putContact(ctx, ptr.Deref(in.ContactListName), ptr.Deref(in.EmailAddress), true, func(ct *contact) {
		ct.Preferences, ct.UnsubscribeAll, ct.Attributes = in.TopicPreferences, ptr.Deref(in.UnsubscribeAll), ptr.Deref(in.AttributesData)
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.CreateContactResponse{}, nil
}

// UpdateContact replaces a contact's preferences and attributes.
func (s *V2) UpdateContact(ctx *request.Context, in *sesv2api.UpdateContactRequest) (*sesv2api.UpdateContactResponse, error) {
	err := s.c.putContact(ctx, ptr.Deref(in.ContactListName), ptr.Deref(in.EmailAddress), false, func(ct *contact) {
		ct.Preferences, ct.UnsubscribeAll, ct.Attributes = in.TopicPreferences, ptr.Deref(in.UnsubscribeAll), ptr.Deref(in.AttributesData)
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.UpdateContactResponse{}, nil
}

// defaults are a list's topics' default subscription statuses.
func defaults(cl contactList) []sesv2api.TopicPreference {
	out := []sesv2api.TopicPreference{}
	for _, t := range cl.Topics {
		out = append(out, sesv2api.TopicPreference{TopicName: t.TopicName, SubscriptionStatus: t.DefaultSubscriptionStatus})
	}
	return out
}

// GetContact answers one contact.
func (s *V2) GetContact(ctx *request.Context, in *sesv2api.GetContactRequest) (*sesv2api.GetContactResponse, error) {
	list, addr := ptr.Deref(in.ContactListName), ptr.Deref(in.EmailAddress)
	cl, err := s.c.contactList(ctx, list)
	if err != nil {
		return nil, err
	}
	var ct contact
	var ok bool
	err = s.c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		ct, ok, err = contacts.Get(tx, scope(ctx.Account, ctx.Region), list, key(addr))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Contact %s does not exist in list %s", addr, list)
	}
	return &sesv2api.GetContactResponse{ContactListName: ptr.To(list), EmailAddress: ptr.To(ct.Address),
		TopicPreferences: append([]sesv2api.TopicPreference{}, ct.Preferences...), TopicDefaultPreferences: defaults(cl),
		UnsubscribeAll: ptr.To(ct.UnsubscribeAll), AttributesData: nonEmpty(ct.Attributes),
		CreatedTimestamp: ptr.To(ct.Created), LastUpdatedTimestamp: ptr.To(ct.Updated)}, nil
}

// status is a contact's subscription to topic: its own preference, else
// (useDefault) the topic's default.
func status(cl contactList, ct contact, topic string, useDefault bool) string {
	if ct.UnsubscribeAll {
		return "OPT_OUT"
	}
	for _, p := range ct.Preferences {
		if ptr.Deref(p.TopicName) == topic {
			return ptr.Deref(p.SubscriptionStatus)
		}
	}
	if useDefault {
		for _, t := range cl.Topics {
			if ptr.Deref(t.TopicName) == topic {
				return ptr.Deref(t.DefaultSubscriptionStatus)
			}
		}
	}
	return ""
}

// ListContacts lists a list's contacts, optionally those with a
// subscription status (for a topic).
func (s *V2) ListContacts(ctx *request.Context, in *sesv2api.ListContactsRequest) (*sesv2api.ListContactsResponse, error) {
	list := ptr.Deref(in.ContactListName)
	cl, err := s.c.contactList(ctx, list)
	if err != nil {
		return nil, err
	}
	var all []contact
	err = s.c.opt.Store.View(func(tx storage.Tx) error {
		return contacts.List(tx, scope(ctx.Account, ctx.Region), []string{list}, storage.ListOptions{}, func(_ []string, ct contact) bool {
			all = append(all, ct)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if f := in.Filter; f != nil && f.FilteredStatus != nil {
		kept := all[:0]
		for _, ct := range all {
			topic, useDefault := "", false
			if f.TopicFilter != nil {
				topic, useDefault = ptr.Deref(f.TopicFilter.TopicName), ptr.Deref(f.TopicFilter.UseDefaultIfPreferenceUnavailable)
			}
			st := ""
			if topic == "" {
				st = "OPT_IN"
				if ct.UnsubscribeAll {
					st = "OPT_OUT"
				}
			} else {
				st = status(cl, ct, topic, useDefault)
			}
			if st == ptr.Deref(f.FilteredStatus) {
				kept = append(kept, ct)
			}
		}
		all = kept
	}
	got, next := page(all, func(ct contact) string { return key(ct.Address) }, in.NextToken, in.PageSize)
	out := &sesv2api.ListContactsResponse{Contacts: []sesv2api.Contact{}, NextToken: next}
	for _, ct := range got {
		out.Contacts = append(out.Contacts, sesv2api.Contact{EmailAddress: ptr.To(ct.Address), TopicPreferences: append([]sesv2api.TopicPreference{}, ct.Preferences...),
			TopicDefaultPreferences: defaults(cl), UnsubscribeAll: ptr.To(ct.UnsubscribeAll), LastUpdatedTimestamp: ptr.To(ct.Updated)})
	}
	return out, nil
}

// DeleteContact removes an address from a list.
func (s *V2) DeleteContact(ctx *request.Context, in *sesv2api.DeleteContactRequest) (*sesv2api.DeleteContactResponse, error) {
	list, addr := ptr.Deref(in.ContactListName), ptr.Deref(in.EmailAddress)
	if _, err := s.c.contactList(ctx, list); err != nil {
		return nil, err
	}
	var ok bool
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		ok, err = contacts.DeleteExisting(tx, scope(ctx.Account, ctx.Region), list, key(addr))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Contact %s does not exist in list %s", addr, list)
	}
	return &sesv2api.DeleteContactResponse{}, nil
}
