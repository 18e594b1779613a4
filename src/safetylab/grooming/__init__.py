"""Federated, private, early detection of grooming in chats (PAN12 / eSPD, Flower, DP)."""
