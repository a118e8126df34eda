// The fake's SNS: topics with tags, email subscriptions that wait for their owner to confirm, and
// what the addresses receive (`sns.outbox`). As the SNS API reference and SDK model
// (@aws-sdk/client-sns 3.1169) say:
// - CreateTopic is idempotent: an existing topic's ARN comes back — unless the request's tags
//   differ, then InvalidParameterException (terraform-provider-aws and pulumi-aws #3235 read it so).
// - Subscribe to an email address sends a confirmation message with a token "valid for three
//   days"; until confirmed the subscription is pending: Subscribe answers "pending confirmation"
//   (the ARN with ReturnSubscriptionArn), ListSubscriptionsByTopic lists it as
//   "PendingConfirmation", GetSubscriptionAttributes says PendingConfirmation "true"; after
//   three days unconfirmed it is gone (NotFoundException). Subscribing a confirmed address again
//   returns its ARN and sends nothing.
// - Publish delivers to confirmed subscriptions only. DeleteTopic deletes its subscriptions;
//   deleting a topic that does not exist is no error.
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  NotFoundException,
  PublishCommand,
  ResourceNotFoundException,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { meta, type FakeAws } from '../aws-fake.js';

/** "Confirmation tokens are valid for three days" (SNS API reference, Subscribe). */
export const CONFIRMATION_VALID_MS = 3 * 24 * 60 * 60_000;

export interface FakeSubscription {
  arn: string;
  protocol: string;
  endpoint: string;
  confirmed: boolean;
  token: string;
  subscribedAt: number;
}

export interface FakeTopic {
  name: string;
  arn: string;
  tags: Record<string, string>;
  subscriptions: FakeSubscription[];
}

/** What an address received: a confirmation request (with its token) or a notification. */
export interface Delivered {
  to: string;
  topicArn: string;
  subject: string;
  message: string;
  token?: string;
}

export function installSns(fake: FakeAws): void {
  const sns = mockClient(SNSClient);
  fake.stubs.push(sns);
  const state = fake.sns;
  const notFound = (what: string) => new NotFoundException({ ...meta, message: `${what} does not exist` });
  const invalid = (message: string) => new InvalidParameterException({ ...meta, message: `Invalid parameter: ${message}` });
  const topicOf = (arn: string | undefined) => {
    const topic = state.topics.get(arn ?? '');
    if (!topic) throw notFound('Topic');
    return topic;
  };
  // Pending subscriptions not confirmed in time are gone.
  const expire = (topic: FakeTopic) => {
    topic.subscriptions = topic.subscriptions.filter((s) => s.confirmed || fake.clock() - s.subscribedAt < CONFIRMATION_VALID_MS);
  };
  const subscriptionOf = (arn: string | undefined) => {
    for (const topic of state.topics.values()) {
      expire(topic);
      const found = topic.subscriptions.find((s) => s.arn === arn);
      if (found) return { topic, subscription: found };
    }
    throw notFound('Subscription');
  };

  fake.handle(sns, CreateTopicCommand, { service: 'sns', name: 'CreateTopic', mutating: true }, async (input) => {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(input.Name ?? '')) throw invalid('Topic Name');
    const arn = `arn:aws:sns:${fake.region}:${fake.account}:${input.Name}`;
    const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value!]));
    const existing = state.topics.get(arn);
    if (existing) {
      if (input.Tags && JSON.stringify(existing.tags) !== JSON.stringify(tags)) throw invalid('Tags Reason: Topic already exists with different tags');
      return { TopicArn: arn };
    }
    state.topics.set(arn, { name: input.Name!, arn, tags, subscriptions: [] });
    return { TopicArn: arn };
  });
  fake.handle(sns, GetTopicAttributesCommand, { service: 'sns', name: 'GetTopicAttributes', mutating: false }, async (input) => {
    const topic = topicOf(input.TopicArn);
    expire(topic);
    return {
      Attributes: {
        TopicArn: topic.arn,
        Owner: fake.account,
        SubscriptionsConfirmed: String(topic.subscriptions.filter((s) => s.confirmed).length),
        SubscriptionsPending: String(topic.subscriptions.filter((s) => !s.confirmed).length),
      },
    };
  });
  fake.handle(sns, ListTagsForResourceCommand, { service: 'sns', name: 'ListTagsForResource', mutating: false }, async (input) => {
    const topic = state.topics.get(input.ResourceArn ?? '');
    if (!topic) throw new ResourceNotFoundException({ ...meta, message: 'Resource does not exist' });
    return { Tags: Object.entries(topic.tags).map(([Key, Value]) => ({ Key, Value })) };
  });
  fake.handle(sns, DeleteTopicCommand, { service: 'sns', name: 'DeleteTopic', mutating: true }, async (input) => {
    state.topics.delete(input.TopicArn ?? '');
    return {};
  });
  fake.handle(sns, SubscribeCommand, { service: 'sns', name: 'Subscribe', mutating: true }, async (input) => {
    const topic = topicOf(input.TopicArn);
    expire(topic);
    if (input.Protocol !== 'email') throw invalid('Protocol (the fake knows email only)');
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input.Endpoint ?? '')) throw invalid('Invalid SMTP email address');
    let subscription = topic.subscriptions.find((s) => s.protocol === 'email' && s.endpoint === input.Endpoint);
    if (subscription?.confirmed) return { SubscriptionArn: subscription.arn };
    if (!subscription) {
      subscription = {
        arn: `${topic.arn}:${String(++state.nextId).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`,
        protocol: 'email',
        endpoint: input.Endpoint!,
        confirmed: false,
        token: `token-${state.nextId}`,
        subscribedAt: fake.clock(),
      };
      topic.subscriptions.push(subscription);
    }
    state.outbox.push({
      to: subscription.endpoint,
      topicArn: topic.arn,
      subject: 'AWS Notification - Subscription Confirmation',
      message: `You have chosen to subscribe to the topic: ${topic.arn}. To confirm the subscription, visit the SubscribeURL included in this email.`,
      token: subscription.token,
    });
    return { SubscriptionArn: input.ReturnSubscriptionArn ? subscription.arn : 'pending confirmation' };
  });
  fake.handle(sns, ConfirmSubscriptionCommand, { service: 'sns', name: 'ConfirmSubscription', mutating: true }, async (input) => {
    const topic = topicOf(input.TopicArn);
    expire(topic);
    const subscription = topic.subscriptions.find((s) => s.token === input.Token);
    if (!subscription) throw invalid('Token');
    subscription.confirmed = true;
    return { SubscriptionArn: subscription.arn };
  });
  fake.handle(sns, GetSubscriptionAttributesCommand, { service: 'sns', name: 'GetSubscriptionAttributes', mutating: false }, async (input) => {
    const { topic, subscription } = subscriptionOf(input.SubscriptionArn);
    return {
      Attributes: {
        SubscriptionArn: subscription.arn,
        TopicArn: topic.arn,
        Protocol: subscription.protocol,
        Endpoint: subscription.endpoint,
        PendingConfirmation: String(!subscription.confirmed),
        ConfirmationWasAuthenticated: String(subscription.confirmed),
      },
    };
  });
  fake.handle(sns, ListSubscriptionsByTopicCommand, { service: 'sns', name: 'ListSubscriptionsByTopic', mutating: false }, async (input) => {
    const topic = topicOf(input.TopicArn);
    expire(topic);
    return {
      Subscriptions: topic.subscriptions.map((s) => ({
        SubscriptionArn: s.confirmed ? s.arn : 'PendingConfirmation',
        Owner: fake.account,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        TopicArn: topic.arn,
      })),
    };
  });
  fake.handle(sns, UnsubscribeCommand, { service: 'sns', name: 'Unsubscribe', mutating: true }, async (input) => {
    const { topic, subscription } = subscriptionOf(input.SubscriptionArn);
    topic.subscriptions = topic.subscriptions.filter((s) => s !== subscription);
    return {};
  });
  fake.handle(sns, PublishCommand, { service: 'sns', name: 'Publish', mutating: true }, async (input) => {
    const topic = topicOf(input.TopicArn);
    deliver(fake, topic, input.Subject ?? '', input.Message ?? '');
    return { MessageId: `message-${++state.nextId}` };
  });
}

/** A message published to the topic, as each confirmed address receives it (CloudWatch's alarm actions use this too). */
export function deliver(fake: FakeAws, topic: FakeTopic, subject: string, message: string): void {
  for (const s of topic.subscriptions) if (s.confirmed) fake.sns.outbox.push({ to: s.endpoint, topicArn: topic.arn, subject, message });
}
