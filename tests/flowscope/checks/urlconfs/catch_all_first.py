from tests.flowscope.checks.urlconfs import CATCH_ALL, FLOWSCOPE

urlpatterns = [CATCH_ALL, *FLOWSCOPE]
