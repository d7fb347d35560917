// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title IGatewayDirectory
/// @notice Where each member institution's gateway answers, and the X25519 public key that payloads for it
/// are sealed to: what gateways need to exchange private data (a debtor's contacts, a document) with no trust
/// but the chain. Registering or changing a gateway is a governed profile update (a k-of-n consortium `Call`
/// proposal); a member rotates its own transport key without downtime by staging the next key with a time
/// from which it applies: senders seal to the key current at the time, recipients hold both meanwhile.
/// @dev No personal data: an endpoint URL of the institution's gateway and a public key. A request between
/// gateways is signed with the requesting member's account key, checked against the consortium's roles.
interface IGatewayDirectory is IConsortiumGated {
    /// @notice A member's gateway as stored.
    /// @param endpoint Base URL of the gateway (https in production).
    /// @param transportKey X25519 public key in force until `nextFrom`.
    /// @param nextKey The staged next key (zero when none).
    /// @param nextFrom Time from which `nextKey` is the key in force (zero when none).
    /// @param updatedAt Time of the last change.
    struct Gateway {
        string endpoint;
        bytes32 transportKey;
        bytes32 nextKey;
        uint64 nextFrom;
        uint64 updatedAt;
    }

    // --- errors ---
    /// @notice The account is not an active member of the consortium.
    /// @param account The account.
    error GatewayDirectoryNotMember(address account);
    /// @notice The endpoint is empty, longer than 256 bytes or not an http(s) URL.
    /// @param endpoint The endpoint given.
    error GatewayDirectoryInvalidEndpoint(string endpoint);
    /// @notice A transport key cannot be zero, and a staged key must differ from the key in force.
    /// @param key The key given.
    error GatewayDirectoryInvalidKey(bytes32 key);
    /// @notice The member has no gateway registered.
    /// @param member The member.
    error GatewayDirectoryNoGateway(address member);
    /// @notice A staged key must apply at least `MIN_ROTATION_NOTICE` seconds from now, so that every
    /// gateway sees it before it applies.
    /// @param activeFrom The time given.
    /// @param earliest The earliest time allowed.
    error GatewayDirectoryRotationTooSoon(uint64 activeFrom, uint64 earliest);

    // --- events ---
    /// @notice A member's gateway was registered or changed (by an executed governance proposal).
    /// @param member The member institution.
    /// @param endpoint Its gateway's base URL.
    /// @param transportKey The transport key in force from now (a staged rotation is dropped).
    event GatewaySet(address indexed member, string endpoint, bytes32 transportKey);
    /// @notice A member staged its next transport key.
    /// @param member The member institution.
    /// @param transportKey The key in force until `activeFrom` (a key staged before that already applied).
    /// @param nextKey The next key.
    /// @param activeFrom Time from which it is the key in force.
    event TransportKeyStaged(address indexed member, bytes32 transportKey, bytes32 nextKey, uint64 activeFrom);
    /// @notice A member's gateway was removed from the directory (by an executed governance proposal).
    /// @param member The member institution.
    event GatewayRemoved(address indexed member);

    // --- writes ---
    /// @notice Register or change a member's gateway. Only the consortium (an executed `Call` proposal).
    /// @param member An active member.
    /// @param endpoint Its gateway's base URL (`http://` or `https://`, at most 256 bytes).
    /// @param transportKey Its X25519 transport public key (not zero).
    function setGateway(address member, string calldata endpoint, bytes32 transportKey) external;

    /// @notice Remove a member's gateway. Only the consortium (an executed `Call` proposal).
    /// @param member The member.
    function removeGateway(address member) external;

    /// @notice Stage the caller's next transport key. The caller must be an active member with a gateway.
    /// A key staged earlier that already applies becomes the key in force first.
    /// @param nextKey The next key (not zero, not the key in force).
    /// @param activeFrom From when it applies: at least `MIN_ROTATION_NOTICE` seconds from now.
    function stageTransportKey(bytes32 nextKey, uint64 activeFrom) external;

    // --- views ---
    /// @notice A member's gateway as stored (empty endpoint: none).
    /// @param member The member.
    /// @return The stored record.
    function gatewayOf(address member) external view returns (Gateway memory);

    /// @notice The transport key payloads for `member` are sealed to now.
    /// @param member The member.
    /// @return The key in force (reverts when the member has no gateway).
    function currentKey(address member) external view returns (bytes32);

    /// @notice The members with a gateway, in registration order (removal swaps the last one in).
    /// @return The members.
    function members() external view returns (address[] memory);

    /// @notice Seconds of notice a staged key needs.
    /// @return The notice.
    function MIN_ROTATION_NOTICE() external view returns (uint64);
}
