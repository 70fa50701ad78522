// Package api is the gRPC face of subscriptions: it translates between the
// proto messages and the domain, and nothing more. Rules and access live in
// package subscription; errors are mapped by the kit's server.
package api

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/kit/apiconv"
	"github.com/zhbase/zhbase/services/kit/server"
)

// ServiceName is the full proto name of the service.
const ServiceName = "zhbase.exchange.v1.SubscriptionService"

// Handler implements exchangev1.SubscriptionServiceServer.
type Handler struct {
	exchangev1.UnimplementedSubscriptionServiceServer
	svc *subscription.Service
}

// Register adds the service to srv and marks it serving.
func Register(srv *server.Server, svc *subscription.Service) {
	exchangev1.RegisterSubscriptionServiceServer(srv.GRPC(), &Handler{svc: svc})
	srv.SetServing(ServiceName)
}

func (h *Handler) CreateSubscription(ctx context.Context, req *exchangev1.CreateSubscriptionRequest) (*exchangev1.Subscription, error) {
	sub, err := h.svc.Create(ctx, fromProto(req.GetSubscription()))
	if err != nil {
		return nil, err
	}
	return toProto(sub), nil
}

func (h *Handler) GetSubscription(ctx context.Context, req *exchangev1.GetSubscriptionRequest) (*exchangev1.Subscription, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	sub, err := h.svc.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return toProto(sub), nil
}

func (h *Handler) ListSubscriptions(ctx context.Context, req *exchangev1.ListSubscriptionsRequest) (*exchangev1.ListSubscriptionsResponse, error) {
	subs, next, err := h.svc.List(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListSubscriptionsResponse{NextPageToken: next}
	for _, sub := range subs {
		resp.Subscriptions = append(resp.Subscriptions, toProto(sub))
	}
	return resp, nil
}

func (h *Handler) DeleteSubscription(ctx context.Context, req *exchangev1.DeleteSubscriptionRequest) (*exchangev1.Subscription, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	sub, err := h.svc.Cancel(ctx, id)
	if err != nil {
		return nil, err
	}
	return toProto(sub), nil
}

func (h *Handler) ResumeSubscription(ctx context.Context, req *exchangev1.ResumeSubscriptionRequest) (*exchangev1.Subscription, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	sub, err := h.svc.Resume(ctx, id)
	if err != nil {
		return nil, err
	}
	return toProto(sub), nil
}

func (h *Handler) RotateSubscriptionSecret(ctx context.Context, req *exchangev1.RotateSubscriptionSecretRequest) (*exchangev1.Subscription, error) {
	id, err := parseName(req.GetName(), "name")
	if err != nil {
		return nil, err
	}
	sub, err := h.svc.RotateSecret(ctx, id)
	if err != nil {
		return nil, err
	}
	return toProto(sub), nil
}

func (h *Handler) ListDeliveries(ctx context.Context, req *exchangev1.ListDeliveriesRequest) (*exchangev1.ListDeliveriesResponse, error) {
	id, err := parseName(req.GetParent(), "parent")
	if err != nil {
		return nil, err
	}
	ds, next, err := h.svc.Deliveries(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &exchangev1.ListDeliveriesResponse{NextPageToken: next}
	for _, d := range ds {
		resp.Deliveries = append(resp.Deliveries, deliveryProto(d))
	}
	return resp, nil
}

// parseName extracts the id from `subscriptions/{id}`.
func parseName(name, field string) (string, error) {
	return apiconv.ParseName(name, "subscriptions", field)
}

func fromProto(m *exchangev1.Subscription) *subscription.Subscription {
	sub := &subscription.Subscription{
		Registry:      m.GetRegistry(),
		Records:       m.GetRecords(),
		CallbackURI:   m.GetCallbackUri(),
		EndTime:       apiconv.Time(m.GetEndTime()),
		StartSequence: m.GetAfterSequence(),
	}
	if s := m.GetStart(); s != exchangev1.SubscriptionStart_SUBSCRIPTION_START_UNSPECIFIED {
		sub.Start = subscription.Start(strings.TrimPrefix(s.String(), "SUBSCRIPTION_START_"))
	}
	return sub
}

func toProto(s *subscription.Subscription) *exchangev1.Subscription {
	return &exchangev1.Subscription{
		Name:              subscription.ResourceName(s.ID),
		Department:        apiconv.Name("departments", s.Department),
		Registry:          s.Registry,
		Records:           s.Records,
		CallbackUri:       s.CallbackURI,
		Purpose:           s.Purpose,
		CaseReference:     s.CaseReference,
		EndTime:           apiconv.Timestamp(s.EndTime),
		Start:             exchangev1.SubscriptionStart(exchangev1.SubscriptionStart_value["SUBSCRIPTION_START_"+string(s.Start)]),
		AfterSequence:     s.StartSequence,
		State:             exchangev1.SubscriptionState(exchangev1.SubscriptionState_value["SUBSCRIPTION_STATE_"+string(s.State)]),
		DeliveredSequence: s.DeliveredSequence,
		ParkedReason:      s.ParkedReason,
		CreateTime:        timestamppb.New(s.CreateTime),
		UpdateTime:        timestamppb.New(s.UpdateTime),
		Secret:            s.Secret,
	}
}

func deliveryProto(d *subscription.Delivery) *exchangev1.Delivery {
	return &exchangev1.Delivery{
		Name:            subscription.DeliveryName(d.SubscriptionID, d.Sequence),
		Sequence:        d.Sequence,
		State:           exchangev1.DeliveryState(exchangev1.DeliveryState_value["DELIVERY_STATE_"+string(d.State)]),
		Attempts:        int32(d.Attempts),
		LastStatusCode:  int32(d.LastStatusCode),
		LastError:       d.LastError,
		LastAttemptTime: apiconv.Timestamp(d.LastAttemptTime),
		NextAttemptTime: apiconv.Timestamp(d.NextAttemptTime),
		DeliveredTime:   apiconv.Timestamp(d.DeliveredTime),
	}
}
