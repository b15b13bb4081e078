// Public API of the protocol core: the VMBus control protocol and SynIC structures as plain data,
// with one encoder and one decoder. No vscode import anywhere in this folder.
export type { ProtocolError, ProtocolErrorCode, Result } from './errors';
export { parseHex, toHex } from './hex';
export {
  MessageType, type MessageTypeName, messageTypeName, LINUX_CHANNELMSG_COUNT, OPENVMM_CHANNELMSG_COUNT,
  VERSIONS, Version, type VersionInfo, makeVersion, versionName, versionString, versionInfo, parseVersion,
  LINUX_VERSION_ORDER, OPENVMM_CLIENT_VERSION_ORDER,
  FeatureFlags, decodeFeatureFlags, VMBUS_FEATURE_FLAG_CONFIDENTIAL_CHANNELS,
  ChnFlags, CHN_FLAG_INFO, type ChnFlagInfo, decodeChnFlags,
  VMBUS_PIPE_TYPE_BYTE, VMBUS_PIPE_TYPE_MESSAGE, MAX_USER_DEFINED_BYTES, MAX_PIPE_USER_DEFINED_BYTES,
  ConnectionId, VMBUS_MESSAGE_SINT, REDIRECT_SINT, REDIRECT_VTL, childMessageConnectionId, childEventPortId, channelConnectionId,
  ConnectionState, LINUX_FIRST_GPADL_HANDLE, MAX_CHANNEL_RELIDS, INVALID_RELID,
} from './constants';
export {
  DEVICE_CLASSES, type DeviceClass, classByName, classByGuid, classesByDescription, guidToBytes, guidFromBytes, canonicalGuid, writeGuid, ZERO_GUID,
} from './guid';
export {
  MESSAGE_LAYOUTS, LAYOUT_BY_NAME, fieldOf, readField, writeField, type ChannelMessage, type ChannelMessageName, type ChannelMessageOf, type MessageLayout, type MessageForm, type FieldDef, type FieldType, type UnionSelector, type UnionVariant,
  MESSAGE_HEADER_SIZE, MAX_CHANNEL_MESSAGE_SIZE, GPADL_HEADER_MAX_PFNS, GPADL_BODY_MAX_PFNS,
} from './layouts';
export { encodeMessage, decodeMessage, decodeChannelMessage, pagesSpanned, type DecodeOptions, type DecodeResult, type TypedDecodeResult, type EncodeResult } from './codec';
export { checkOffer, type OfferCheckContext, type OfferCheckResult, LINUX_LOG_PREFIX } from './offer';
export * from './synic';
export * from './ring';
