// apimachinery types shared by every object: ObjectMeta, LabelSelector and the scalar types.
import { INT_OR_STRING, LABEL_SELECTOR, META, OBJECT_META, QUANTITY, TIME, anyValue, bool, byKey, int64, list, map, required, scalars, str, time, type TypeDef } from './dsl.js';

export const metaTypes: Record<string, TypeDef> = {
  [OBJECT_META]: {
    description: 'Metadata that all persisted resources must have.',
    fields: {
      name: str('Name, unique within a namespace; cannot be updated.'),
      generateName: str('Prefix the server uses to generate a unique name when name is empty.'),
      namespace: str('Namespace the object belongs to; empty for cluster-scoped objects.'),
      uid: str('Unique id assigned by the server; never reused.'),
      resourceVersion: str('Opaque version of the object, for optimistic concurrency and watch.'),
      generation: int64('Sequence number of a specific generation of the desired state.'),
      creationTimestamp: time('When the object was created.'),
      deletionTimestamp: time('When the object will be deleted; set by the server on graceful deletion.'),
      deletionGracePeriodSeconds: int64('Seconds allowed for graceful termination before forced removal.'),
      labels: map('string', 'String keys and values used to organize and select objects.'),
      annotations: map('string', 'Arbitrary non-identifying metadata stored with the object.'),
      ownerReferences: list(`${META}OwnerReference`, 'Objects this object depends on; garbage collected with them.', {
        ...byKey('uid'),
        listType: 'map',
        listMapKeys: ['uid'],
      }),
      finalizers: scalars('string', 'Conditions that must be cleared before the object is deleted.', { strategies: ['merge'], listType: 'set' }),
      managedFields: list(`${META}ManagedFieldsEntry`, 'Which manager owns which fields; for server-side apply.'),
      selfLink: str('Deprecated; not set by the server.'),
    },
  },
  [`${META}OwnerReference`]: {
    description: 'Identifies an owning object in the same namespace.',
    fields: {
      apiVersion: required(str('API version of the owner.')),
      kind: required(str('Kind of the owner.')),
      name: required(str('Name of the owner.')),
      uid: required(str('UID of the owner.')),
      controller: bool('True if the owner is the managing controller.'),
      blockOwnerDeletion: bool('If true, the owner cannot be deleted before this object is removed.'),
    },
  },
  [`${META}ManagedFieldsEntry`]: {
    description: 'A workflow id, field set and version of a manager of the object.',
    fields: {
      manager: str('Identifier of the workflow managing these fields.'),
      operation: str('Operation that created the entry: Apply or Update.'),
      apiVersion: str('Version of the fields set.'),
      time: time('When the entry was last changed.'),
      fieldsType: str('Format of fieldsV1: FieldsV1.'),
      fieldsV1: anyValue('The set of fields owned, in FieldsV1 format.'),
      subresource: str('Subresource used to update the object, if any.'),
    },
  },
  [LABEL_SELECTOR]: {
    description: 'A label query over a set of resources; the requirements are ANDed.',
    fields: {
      matchLabels: map('string', 'Labels that must all be present with these values.'),
      matchExpressions: list(`${META}LabelSelectorRequirement`, 'Label selector requirements, ANDed.', { listType: 'atomic' }),
    },
  },
  [`${META}LabelSelectorRequirement`]: {
    description: 'A selector requirement: a key, an operator and values.',
    fields: {
      key: required(str('Label key the selector applies to.')),
      operator: required(str('In, NotIn, Exists or DoesNotExist.')),
      values: scalars('string', 'Values for In and NotIn; empty for Exists and DoesNotExist.', { listType: 'atomic' }),
    },
  },
  [`${META}Condition`]: {
    description: 'One aspect of the current state of a resource.',
    fields: {
      type: required(str('Condition type in CamelCase.')),
      status: required(str('True, False or Unknown.')),
      observedGeneration: int64('The generation the condition was set for.'),
      lastTransitionTime: required(time('When the condition last changed status.')),
      reason: required(str('Programmatic reason for the last transition.')),
      message: required(str('Human readable detail of the transition.')),
    },
  },
  [TIME]: { description: 'An RFC 3339 timestamp, serialized as a string.', fields: {}, scalar: 'string', format: 'date-time' },
  [`${META}MicroTime`]: { description: 'An RFC 3339 timestamp with microseconds.', fields: {}, scalar: 'string', format: 'date-time' },
  [QUANTITY]: {
    description: "A fixed-point number with an SI or binary suffix, such as '100m', '1.5', '128Mi' or '1G'.",
    fields: {},
    scalar: 'quantity',
  },
  [INT_OR_STRING]: { description: 'Either an integer or a string.', fields: {}, scalar: 'intOrString', format: 'int-or-string' },
};

export { OBJECT_META, LABEL_SELECTOR };
