// Package subscription lets departments subscribe to the registries' change
// feeds (变更订阅) and delivers the changes to their HTTP(S) callbacks:
// signed with an HMAC of the body (see services/exchange/webhook), in
// sequence order, retried with exponential backoff, parked after repeated
// failure, and recorded with their delivery state.
//
// This package holds the domain: the Subscription and Delivery records, who
// may do what with them, the rules a new subscription must pass, and the
// delivery worker. It reads the registries through a Feed and keeps its
// records through a Store, both defined here; the SQL store lives in
// sqlstore/, the gRPC handler in api/. It must never import either, nor
// gRPC or SQL.
//
// Delivery is at least once. Several exchange replicas may run the worker
// against one database: a subscription is worked by one replica at a time,
// under a lease held in its row and renewed before every attempt, so one
// delivery is never in flight twice. Each delivery carries an id that is the
// same on every retry (Zhbase-Delivery-Id); a receiver that deduplicates on
// it, as webhook documents, sees every event exactly once. What is never
// possible: an event delivered before an earlier one of the same
// subscription, or the callback secret stored in clear (it is sealed with
// AES-GCM under the service's key), written to a log, or returned except by
// the calls that create it.
package subscription
