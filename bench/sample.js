// The `d` of a bench event (plus n): sized like a real group message event (docs/protocol.md §6), and complete
// enough to pass the connector's edge checks. Shared by the benchmarks so they measure the same payload.
export const GROUP_MESSAGE_SAMPLE = {
  author: { member_openid: 'E4F4AEA33253A2797FB897C50B81D7ED' },
  content: ' event',
  group_openid: 'C9F778FE6ADF9D1D1DBE395BF744A33A',
  id: 'ROBOT1.0_veoihkGXzQIzRZ5MsV6CpqZGRF8UgD4bNWNJyjMe5tQVhmQ9UJ0EIP2Q7Sm5P8uF',
  timestamp: '2023-11-06T13:37:18+08:00',
  attachments: [],
};
